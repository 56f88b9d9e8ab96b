using System.Diagnostics;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Idle cost: N connected pairs on 127.0.0.1 each with one open data channel (made one after another), then memory per
/// pair (GC heap and working set delta / N), threads per pair (process thread delta / N) and CPU per idle pair over a
/// quiet window (process CPU time / window / N). Everything is closed at the end.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- idle [pairs] [idle seconds]
/// </summary>
public static class Idle
{
    public static async Task<int> RunAsync(string[] args)
    {
        var pairs = args.Length > 1 ? int.Parse(args[1]) : 100;
        var window = TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
        var total = Stopwatch.StartNew();
        var process = Process.GetCurrentProcess();

        // Warm up the code paths with one pair, closed before the baseline.
        await using (var warm = await ConnectAsync()) { }
        await Task.Delay(500);
        var (heap0, ws0, threads0) = Sample(process);

        // Split: what a pair costs before it connects (certificate, machines, loop, callback queue), no sockets yet.
        {
            var idle = new List<PeerConnection>();
            for (var i = 0; i < 2 * pairs; i++) idle.Add(new PeerConnection());
            var (heapU, wsU, threadsU) = Sample(process);
            Console.WriteLine($"unconnected: GC heap per pair {(heapU - heap0) / 1024.0 / pairs:F1} KiB, working set per pair {(wsU - ws0) / 1024.0 / pairs:F1} KiB, " +
                              $"threads per pair {(threadsU - threads0) / (double)pairs:F2}");
            foreach (var pc in idle) await pc.DisposeAsync();
            await Task.Delay(500);
            (heap0, ws0, threads0) = Sample(process);
        }

        var open = new List<Pair>();
        var setup = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < pairs && total.Elapsed < TimeSpan.FromSeconds(80); i++) open.Add(await ConnectAsync());
            Console.WriteLine($"idle: {open.Count} pairs connected in {setup.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(1000); // let handshake tails and timers settle
            var (heap1, ws1, threads1) = Sample(process);

            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            var seconds = clock.Elapsed.TotalSeconds;
            var alive = open.Count(p => p.Local.ReadyState == DataChannelReadyState.Open && p.Remote.ReadyState == DataChannelReadyState.Open);
            var (heap2, ws2, threads2) = Sample(process);

            var n = open.Count;
            Console.WriteLine($"pairs: {n} (channels still open after the idle window: {alive})");
            Console.WriteLine($"GC heap per pair: {(heap1 - heap0) / 1024.0 / n:F1} KiB (after idle window: {(heap2 - heap0) / 1024.0 / n:F1} KiB)");
            Console.WriteLine($"working set per pair: {(ws1 - ws0) / 1024.0 / n:F1} KiB (after idle window: {(ws2 - ws0) / 1024.0 / n:F1} KiB)");
            Console.WriteLine($"threads per pair: {(threads1 - threads0) / (double)n:F2} (process threads {threads0} -> {threads1} -> {threads2} after idle)");
            Console.WriteLine($"CPU per idle pair: {cpu / seconds / n * 100:F4} % of a core ({cpu * 1000 / seconds / n:F3} ms CPU per s per pair; " +
                              $"process {cpu:F2} s CPU over {seconds:F1} s)");
        }
        finally
        {
            var close = Stopwatch.StartNew();
            foreach (var p in open) await p.DisposeAsync();
            Console.WriteLine($"closed {open.Count} pairs in {close.Elapsed.TotalSeconds:F1} s; total {total.Elapsed.TotalSeconds:F1} s");
        }
        await Task.Delay(2000);
        var (_, _, threads3) = Sample(process);
        Console.WriteLine($"process threads 2 s after closing: {threads3}");
        return 0;
    }

    private static (long Heap, long WorkingSet, int Threads) Sample(Process process)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        process.Refresh();
        return (GC.GetTotalMemory(true), process.WorkingSet64, process.Threads.Count);
    }

    private sealed record Pair(PeerConnection A, PeerConnection B, DataChannel Local, DataChannel Remote) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await A.CloseAsync();
            await B.CloseAsync();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    private static async Task<Pair> ConnectAsync()
    {
        var a = new PeerConnection();
        var b = new PeerConnection();
        var remote = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.OnDataChannel += remote.SetResult;
        a.OnIceCandidate += c => { if (c is not null) _ = Add(b, c); };
        b.OnIceCandidate += c => { if (c is not null) _ = Add(a, c); };
        var channel = a.CreateDataChannel("idle");
        await a.SetLocalDescriptionAsync(await a.CreateOfferAsync());
        await b.SetRemoteDescriptionAsync(a.LocalDescription!);
        await b.SetLocalDescriptionAsync(await b.CreateAnswerAsync());
        await a.SetRemoteDescriptionAsync(b.LocalDescription!);
        var theirs = await remote.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var deadline = Stopwatch.StartNew();
        while ((channel.ReadyState != DataChannelReadyState.Open || theirs.ReadyState != DataChannelReadyState.Open) && deadline.Elapsed.TotalSeconds < 20)
            await Task.Delay(2);
        return new Pair(a, b, channel, theirs);
    }

    private static async Task Add(PeerConnection to, IceCandidateInit c)
    {
        for (var i = 0; i < 500 && to.RemoteDescription is null; i++) await Task.Delay(2);
        await to.AddIceCandidateAsync(c);
    }
}
