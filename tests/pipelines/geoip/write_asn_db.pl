#!/usr/bin/perl
# Writes a small database in GeoLite2-ASN's layout with MaxMind's own writer
# (libmaxmind-db-writer-perl), for the geoip tests: no ASN database is published on npm.
# usage: write_asn_db.pl OUT.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my %types = (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version => 6,
  record_size => 24,
  database_type => 'GeoLite2-ASN',
  languages => ['en'],
  description => {en => 'logship test ASN database'},
  map_key_type_callback => sub { $types{$_[0]} },
);
my %google = (autonomous_system_number => 15169, autonomous_system_organization => 'GOOGLE');
$tree->insert_network('8.8.8.0/24', \%google);
$tree->insert_network('2001:4860::/32', \%google);
$tree->insert_network('193.0.0.0/21',
  {autonomous_system_number => 3333, autonomous_system_organization => 'Reseaux IP Europeens Network Coordination Centre (RIPE NCC)'});
open my $out, '>:raw', $ARGV[0] or die "$ARGV[0]: $!";
$tree->write_tree($out);
close $out or die "$ARGV[0]: $!";
