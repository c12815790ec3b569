#pragma once

#include <cstdint>
#include <span>

#include "agent/api/batch.h"

namespace logship {

// A new batch holding the events of `from` at `indices` with everything they view copied into it
// (messages into its raw buffer; field keys, string values and shared fields into its arena), so
// it lives independently of `from`. It carries a fork of `from`'s ack token: the source's
// checkpoint waits until this copy is resolved too. Costs one copy of the selected events' bytes,
// per batch, not per event allocations.
Batch copyEvents(Batch& from, std::span<const uint32_t> indices);

// Keeps only the events at `indices` (ascending) of `batch`, in place.
void keepEvents(Batch& batch, std::span<const uint32_t> indices);

}  // namespace logship
