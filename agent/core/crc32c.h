#pragma once

#include <cstddef>
#include <cstdint>

namespace logship {

// CRC-32C (Castagnoli), as used by iSCSI, ext4 and Kafka: hardware instruction when the CPU has
// SSE 4.2, a table otherwise.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace logship
