#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/api/batch.h"

namespace logship {

// A batch's events in a compact binary form (for the disk buffer): every event member, its fields
// and the batch's shared fields, strings length-prefixed. Decoding builds a batch whose raw buffer
// is the encoded bytes, so the decoded strings are views into it and nothing is copied per event.
void encodeBatch(const Batch& batch, std::string& out);
// nullopt when the bytes are not a well-formed encoding (never trusts lengths it reads). The
// batch takes the buffer over: no copy.
std::optional<Batch> decodeBatch(std::unique_ptr<char[]> bytes, size_t size);
std::optional<Batch> decodeBatch(std::string_view bytes);

}  // namespace logship
