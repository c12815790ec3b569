#include "parsers/parsers.h"

namespace logship {

void registerParsers(Registry& registry) {}

}  // namespace logship
