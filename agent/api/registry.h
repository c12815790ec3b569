#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/component.h"
#include "agent/api/config.h"

namespace logship {

enum class ComponentKind { kSource, kTransform, kOutput };
const char* toString(ComponentKind kind);

// What a factory sees while building one component from config.
struct BuildContext {
  std::string id;
  const GlobalConfig& global;
  Diagnostics& diag;
  const ConfigNode& node;
};

// Options every component of a kind takes, handled by the topology, not by the component.
const std::vector<std::string_view>& reservedKeys(ComponentKind kind);

struct ComponentFactory {
  ComponentKind kind;
  std::string type;
  std::string summary;
  std::vector<OptionDoc> options;
  // Build returns nullptr after reporting errors to ctx.diag.
  std::function<std::unique_ptr<Source>(BuildContext&)> build_source;
  std::function<std::unique_ptr<Transform>(BuildContext&)> build_transform;
  std::function<std::unique_ptr<Sink>(BuildContext&)> build_sink;
};

// Components register by type name; the topology builder never names a concrete class.
class Registry {
 public:
  void add(ComponentFactory factory);
  const ComponentFactory* find(ComponentKind kind, std::string_view type) const;
  std::vector<const ComponentFactory*> all() const;
  std::string typesOf(ComponentKind kind) const;

  // Registers a component whose config struct `Config` has `static const OptionTable<Config>&
  // options()` and whose implementation is constructible from (Config, BuildContext&).
  // `extra` arguments follow (Config, BuildContext&) into Impl's constructor: what the composition
  // root hands a component that may not include it (a parser for a network source).
  template <class Config, class Impl, class... Extra>
  void addSource(std::string type, std::string summary, Extra... extra) {
    ComponentFactory f = make<Config>(ComponentKind::kSource, std::move(type), std::move(summary));
    f.build_source = [extra...](BuildContext& ctx) -> std::unique_ptr<Source> {
      return build<Config, Impl>(ctx, ComponentKind::kSource, extra...);
    };
    add(std::move(f));
  }
  template <class Config, class Impl>
  void addTransform(std::string type, std::string summary) {
    ComponentFactory f =
        make<Config>(ComponentKind::kTransform, std::move(type), std::move(summary));
    f.build_transform = [](BuildContext& ctx) -> std::unique_ptr<Transform> {
      return build<Config, Impl>(ctx, ComponentKind::kTransform);
    };
    add(std::move(f));
  }
  template <class Config, class Impl>
  void addOutput(std::string type, std::string summary) {
    ComponentFactory f = make<Config>(ComponentKind::kOutput, std::move(type), std::move(summary));
    f.build_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
      return build<Config, Impl>(ctx, ComponentKind::kOutput);
    };
    add(std::move(f));
  }

 private:
  template <class Config>
  static ComponentFactory make(ComponentKind kind, std::string type, std::string summary) {
    ComponentFactory f{kind, std::move(type), std::move(summary), Config::options().docs(), {},
                       {}, {}};
    return f;
  }
  template <class Config, class Impl, class... Extra>
  static std::unique_ptr<Impl> build(BuildContext& ctx, ComponentKind kind, const Extra&... extra) {
    size_t errors_before = ctx.diag.errors().size();
    Config config = Config::options().parse(ctx.node, ctx.diag, reservedKeys(kind));
    if (ctx.diag.errors().size() != errors_before) return nullptr;
    auto impl = std::make_unique<Impl>(std::move(config), ctx, extra...);
    if (ctx.diag.errors().size() != errors_before) return nullptr;
    return impl;
  }

  std::map<std::pair<ComponentKind, std::string>, ComponentFactory, std::less<>> factories_;
};

}  // namespace logship
