using BenchmarkDotNet.Attributes;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// What running the DTLS handshake on a thread-pool work item instead of a dedicated thread would save per handshake:
/// the cost of starting (and ending) a thread versus queueing a work item, each running an empty body to completion.
/// Compare with DtlsBenchmarks.Handshake (a full handshake, milliseconds).
/// </summary>
[MemoryDiagnoser]
public class DtlsIdleBenchmarks
{
    private readonly ManualResetEventSlim done = new(false);

    [Benchmark(Baseline = true)]
    public void DedicatedThread()
    {
        done.Reset();
        var t = new Thread(() => done.Set()) { IsBackground = true, Name = "dtls-bench" };
        t.Start();
        done.Wait();
        t.Join();
    }

    [Benchmark]
    public void ThreadPoolWorkItem()
    {
        done.Reset();
        ThreadPool.UnsafeQueueUserWorkItem(static d => d.Set(), done, preferLocal: false);
        done.Wait();
    }
}
