#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

namespace logship {

// Bump allocator owned by one Batch: strings and field arrays a stage derives live here and die
// with the batch, so the per-event path never touches the heap.
class Arena {
 public:
  explicit Arena(size_t first_block_bytes = 4096) : next_block_bytes_(first_block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  void* allocate(size_t bytes, size_t align = alignof(std::max_align_t)) {
    size_t offset = (used_ + align - 1) & ~(align - 1);
    if (blocks_.empty() || offset + bytes > capacity_) {
      grow(bytes + align);
      offset = (used_ + align - 1) & ~(align - 1);
    }
    used_ = offset + bytes;
    return blocks_.back().get() + offset;
  }

  template <class T>
  T* allocateArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "arena memory is never destructed");
    return static_cast<T*>(allocate(sizeof(T) * n, alignof(T)));
  }

  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  size_t bytesReserved() const { return reserved_; }

 private:
  void grow(size_t at_least) {
    size_t size = next_block_bytes_ > at_least ? next_block_bytes_ : at_least;
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    capacity_ = size;
    used_ = 0;
    reserved_ += size;
    if (next_block_bytes_ < (size_t{1} << 20)) next_block_bytes_ *= 2;
  }

  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t capacity_ = 0;
  size_t used_ = 0;
  size_t reserved_ = 0;
  size_t next_block_bytes_;
};

}  // namespace logship
