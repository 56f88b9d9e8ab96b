using System.Collections.Concurrent;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>DTLS work runs on reused threads, and Join/IsAlive/IsCurrent behave like a thread's.</summary>
public class DtlsWorkersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public void Sequential_work_reuses_threads_and_join_waits_for_the_end()
    {
        var threads = new HashSet<int>();
        for (var i = 0; i < 40; i++)
        {
            var gate = new ManualResetEventSlim(false);
            var ranOn = -1;
            var wasCurrent = false;
            DtlsWorker? worker = null;
            worker = new DtlsWorker(() => { ranOn = Environment.CurrentManagedThreadId; wasCurrent = worker!.IsCurrent; gate.Wait(Wait); }, $"test-{i}");
            Assert.False(worker.IsAlive);
            worker.Start();
            Assert.True(worker.IsAlive);
            Assert.False(worker.IsCurrent);
            Assert.False(worker.Join(TimeSpan.FromMilliseconds(1)), "Join returned while the work was still blocked");
            gate.Set();
            Assert.True(worker.Join(Wait));
            Assert.False(worker.IsAlive);
            Assert.True(wasCurrent);
            Assert.NotEqual(Environment.CurrentManagedThreadId, ranOn);
            threads.Add(ranOn);
        }
        // Other tests run DTLS work at the same time, so a few more threads may appear; never one per run.
        Assert.True(threads.Count <= 20, $"{threads.Count} threads for 40 sequential runs");
        Assert.Throws<InvalidOperationException>(() => { var w = new DtlsWorker(() => { }, "twice"); w.Start(); w.Start(); });
    }

    [Fact]
    public void Concurrent_work_all_runs_at_once()
    {
        const int n = 8;
        using var allIn = new CountdownEvent(n);
        using var release = new ManualResetEventSlim(false);
        var workers = Enumerable.Range(0, n).Select(i => new DtlsWorker(() => { allIn.Signal(); release.Wait(Wait); }, $"c-{i}")).ToList();
        foreach (var w in workers) w.Start();
        // Each piece of work blocks until all have started: only possible if each has its own thread.
        Assert.True(allIn.Wait(Wait), $"{allIn.CurrentCount} of {n} never started");
        release.Set();
        Assert.All(workers, w => Assert.True(w.Join(Wait)));
        Assert.True(DtlsWorkers.Live >= DtlsWorkers.Idle);
    }
}
