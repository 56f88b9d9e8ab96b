using System.Diagnostics;
using Functional.WebRtc;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The throughput harness of the data-channel issue: one reliable ordered channel between two PeerConnections in this
/// process over 127.0.0.1, N MiB in M-KiB messages with bufferedAmountLow flow control (threshold 512 KiB, pause above
/// 1 MiB). Prints MB/s, CPU seconds per GB, peak memory and SCTP counters.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- throughput [MiB] [KiB per message]
/// [--no-pmtud] [--warmup MiB]. --no-pmtud keeps SCTP packets at 1200 bytes (as Pion sends); --warmup first sends that
/// much unmeasured, so JIT tiering is done before the clock starts (it is not by default).
/// </summary>
public static class Throughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var positional = args.Skip(1).Where(a => !a.StartsWith("--")).ToList();
        var mib = positional.Count > 0 ? int.Parse(positional[0]) : 256;
        var kib = positional.Count > 1 ? int.Parse(positional[1]) : 64;
        var pmtud = !args.Contains("--no-pmtud");
        var w = Array.IndexOf(args, "--warmup");
        var warmup = w > 0 && w + 1 < args.Length ? int.Parse(args[w + 1]) : 0;
        var (mbps, cpuPerGb, peak, stats, setup) = await MeasureAsync(mib, kib * 1024, pmtud, warmup);
        Console.WriteLine($"throughput: {mib} MiB in {kib} KiB messages (PLPMTUD {(pmtud ? "on" : "off")}, warm-up {warmup} MiB): " +
                          $"{mbps:F1} MB/s, {cpuPerGb:F2} CPU s/GB, " +
                          $"peak working set {peak / (1024 * 1024)} MiB, CreateOffer->open {setup.TotalMilliseconds:F1} ms");
        Console.WriteLine($"sender SCTP: {stats}");
        return 0;
    }

    public static async Task<(double MBps, double CpuSecondsPerGb, long PeakWorkingSet, string SenderStats, TimeSpan Setup)> MeasureAsync(
        int mib, int messageSize, bool pathMtuDiscovery = true, int warmupMib = 0)
    {
        var settings = new SettingEngine { SctpPathMtuDiscovery = pathMtuDiscovery };
        await using var a = new PeerConnection(settings: settings);
        await using var b = new PeerConnection(settings: settings);
        var setupClock = Stopwatch.StartNew();
        var channel = a.CreateDataChannel("bulk");
        var remote = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.OnDataChannel += remote.SetResult;
        a.OnIceCandidate += c => { if (c is not null) _ = Add(b, c); };
        b.OnIceCandidate += c => { if (c is not null) _ = Add(a, c); };
        await a.SetLocalDescriptionAsync(await a.CreateOfferAsync());
        await b.SetRemoteDescriptionAsync(a.LocalDescription!);
        await b.SetLocalDescriptionAsync(await b.CreateAnswerAsync());
        await a.SetRemoteDescriptionAsync(b.LocalDescription!);
        var theirs = await remote.Task.WaitAsync(TimeSpan.FromSeconds(20));
        while (channel.ReadyState != DataChannelReadyState.Open) await Task.Delay(1);
        var setup = setupClock.Elapsed;

        long received = 0, target = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        theirs.OnMessage += m => { if (Interlocked.Add(ref received, m.Data.Length) >= Volatile.Read(ref target)) done.TrySetResult(); };
        var low = new SemaphoreSlim(0);
        channel.BufferedAmountLowThreshold = 512 * 1024;
        channel.OnBufferedAmountLow += () => low.Release();
        var payload = new byte[messageSize];

        async Task Transfer(long bytes)
        {
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref target, Interlocked.Read(ref received) + bytes);
            for (long sent = 0; sent < bytes; sent += messageSize)
            {
                while (channel.BufferedAmount > 1024 * 1024) await low.WaitAsync(TimeSpan.FromMilliseconds(20));
                channel.Send(payload);
            }
            await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        }

        if (warmupMib > 0) await Transfer((long)warmupMib * 1024 * 1024);
        var total = (long)mib * 1024 * 1024;
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Transfer(total);
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        var association = a.Channels.Association;
        return (total / seconds / 1e6, cpuSeconds / (total / 1e9), process.PeakWorkingSet64,
            $"{association.Stats}, packet size {association.Mtu} ({association.PathMtu.Phase})", setup);
    }

    private static async Task Add(PeerConnection to, IceCandidateInit c)
    {
        for (var i = 0; i < 500 && to.RemoteDescription is null; i++) await Task.Delay(2);
        await to.AddIceCandidateAsync(c);
    }
}
