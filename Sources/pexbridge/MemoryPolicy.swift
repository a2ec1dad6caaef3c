#if canImport(Glibc)
import Glibc

/// glibc's `int mallopt(int param, int value)` from <malloc.h>, which the Glibc module does not import.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// `M_ARENA_MAX` in glibc's <malloc.h>.
private let mallocArenaMax: Int32 = -8
#endif

/// How the bridge process asks glibc's allocator to behave.
enum MemoryPolicy {
    /// At most two malloc arenas. glibc makes up to 8 per core, one for each thread that contends on the heap; the
    /// bridge's threads (the lws service thread, NIO's event loops, Swift's cooperative pool) then each keep freed
    /// memory in their own arena, so a bridge whose sessions churn held about 5 MiB more RSS per 10,000 join/leave
    /// cycles than with two arenas (measured with `bench.sh churn`, MALLOC_ARENA_MAX=2 against the default). The
    /// bridge is not allocation-bound (its hot path is the kernel's TCP send). `MALLOC_ARENA_MAX` in the
    /// environment still wins.
    static func apply() {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil {
            _ = glibcMallopt(mallocArenaMax, 2)
        }
        #endif
    }
}
