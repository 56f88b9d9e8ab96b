using System.Diagnostics;
using Functional.WebRtc.Core.Ice;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Connection setup time of an in-process pair on 127.0.0.1 (trickle ICE, one data channel), warm: from CreateOffer to
/// the channel open on both sides, with the milestones between (ICE connected, DTLS/connection connected) so the time
/// can be split into signaling, ICE (checks paced by Ta, nomination delay), DTLS handshake and SCTP/DCEP.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- setup [runs] [Ta ms] [nomination delay ms]
/// The ICE timing is passed through a SettingEngine property named IceTiming (of type IceTiming) when it exists.
/// Warm-up: see the comment in <see cref="RunAsync"/> (rounds with pauses until the JIT's tiering has converged).
/// SETUP_JIT_TRACE=1 lists the methods the JIT still compiles during the measured runs.
/// </summary>
public static class Setup
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 1 ? int.Parse(args[1]) : 20;
        var timing = IceTiming.Default;
        if (args.Length > 2) timing = timing with { Ta = TimeSpan.FromMilliseconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)) };
        if (args.Length > 3) timing = timing with { NominationDelay = TimeSpan.FromMilliseconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)) };
        var settings = WithIceTiming(new SettingEngine(), timing, out var applied);
        Console.WriteLine($"setup: {runs} warm runs (after warm-up), Ta {timing.Ta.TotalMilliseconds} ms, nomination delay {timing.NominationDelay.TotalMilliseconds} ms" +
                          (applied ? "" : timing == IceTiming.Default ? " (defaults)" : " (NOT APPLIED: SettingEngine has no IceTiming property)"));

        // DTLS_OVERLAP=1: the handshake's independent crypto steps on two threads (NetEc.Overlap; off by default).
        Functional.WebRtc.Transport.Dtls.NetEc.Overlap = Environment.GetEnvironmentVariable("DTLS_OVERLAP") == "1";
        // DTLS_NATIVE=0: .NET's EC wrappers (full key validation at every import and derive) instead of direct libcrypto calls.
        Functional.WebRtc.Transport.Dtls.NativeEc.Enabled = Environment.GetEnvironmentVariable("DTLS_NATIVE") != "0";
        // DTLS_COALESCE=0: one DTLS record per datagram (as BouncyCastle writes them) instead of a flight per datagram.
        Functional.WebRtc.Transport.Dtls.QueueDatagramTransport.Coalesce = Environment.GetEnvironmentVariable("DTLS_COALESCE") != "0";

        // Warm means what a long-running process has: its code compiled by the JIT's optimizing tier. With the runtime's
        // default tiered compilation a method starts unoptimized (tier 0, then an instrumented tier for PGO) and is
        // promoted only after the runtime has seen no new tier-0 compilation for 100 ms (TC_CallCountingDelayMs).
        // Setups run back to back, a few ms apart, keep resetting that delay, so without pauses the code is never
        // promoted: such runs measure tier-0 code (the "back to back" row). A server sees idle gaps and gets there;
        // here the warm-up runs rounds of SETUP_WARMUP setups (default 60), each followed by a 300 ms pause, until a
        // round compiles fewer than 20 new methods (at most SETUP_ROUNDS rounds, default 30): the JIT has converged.
        var warmup = int.TryParse(Environment.GetEnvironmentVariable("SETUP_WARMUP"), out var w) && w >= 0 ? w : 60;
        var maxRounds = int.TryParse(Environment.GetEnvironmentVariable("SETUP_ROUNDS"), out var r) && r >= 0 ? r : 30;
        for (var i = 0; i < 3; i++) await OnceAsync(settings);
        var backToBack = new List<Milestones>();
        for (var i = 0; i < Math.Min(runs, 30); i++) backToBack.Add(await OnceAsync(settings));
        var rounds = 0;
        for (long before = -1, compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
             rounds < maxRounds && (before < 0 || compiled - before >= 20);
             before = compiled, compiled = System.Runtime.JitInfo.GetCompiledMethodCount(), rounds++)
        {
            for (var i = 0; i < warmup; i++) await OnceAsync(settings);
            await Task.Delay(300);
        }
        Console.WriteLine($"warm-up: {rounds} rounds of {warmup} setups and a 300 ms pause; {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in all");
        using var jitListener = Environment.GetEnvironmentVariable("SETUP_JIT_TRACE") is { Length: > 0 } ? new JitListener() : null;
        var samples = new List<Milestones>();
        var (jitted, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
        for (var i = 0; i < runs; i++) samples.Add(await OnceAsync(settings));
        // JIT work during the measured runs (tier-1 recompilations in the background, or methods new to each connection).
        Console.WriteLine($"JIT during the measured runs: {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods, " +
                          $"{(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F1} ms");
        if (jitListener is not null) foreach (var m in jitListener.Methods) Console.WriteLine("  jit " + m);

        Console.WriteLine($"{"milestone (ms since CreateOffer)",-40} {"median",8} {"p90",8} {"min",8} {"max",8}");
        Row("signaling done (answer set on offerer)", samples.Select(s => s.Signaled));
        Row("ICE connected (both sides)", samples.Select(s => s.IceConnected));
        Row("connection connected (both: DTLS done)", samples.Select(s => s.Connected));
        Row("data channel open on both sides", samples.Select(s => s.Open));
        Row($"  the same, back to back ({backToBack.Count} runs)", backToBack.Select(s => s.Open));
        Console.WriteLine($"{"phase (ms)",-40} {"median",8} {"p90",8} {"min",8} {"max",8}");
        Row("ICE: signaled -> ICE connected", samples.Select(s => s.IceConnected - s.Signaled));
        Row("DTLS: ICE connected -> connected", samples.Select(s => s.Connected - s.IceConnected));
        Row("DTLS per side: own ICE -> own connected", samples.SelectMany(s => new[] { s.DtlsA, s.DtlsB }));
        Row("SCTP+DCEP: connected -> both open", samples.Select(s => s.Open - s.Connected));
        return 0;
    }

    /// <summary>Sets SettingEngine.IceTiming if the integrator has added it (init-only properties can be set by reflection).</summary>
    public static SettingEngine WithIceTiming(SettingEngine settings, IceTiming timing, out bool applied)
    {
        var property = typeof(SettingEngine).GetProperty("IceTiming");
        applied = property is not null && property.PropertyType == typeof(IceTiming);
        if (!applied) return settings;
        var copy = settings with { };
        property!.SetValue(copy, timing);
        return copy;
    }

    private static void Row(string name, IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        Console.WriteLine($"{name,-40} {Percentile(v, 0.5),8:F2} {Percentile(v, 0.9),8:F2} {v[0],8:F2} {v[^1],8:F2}");
    }

    public static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public sealed record Milestones(double Signaled, double IceConnected, double Connected, double Open, double DtlsA, double DtlsB);

    /// <summary>One connection; certificates are made before the clock starts (as a warm application would have them).</summary>
    public static async Task<Milestones> OnceAsync(SettingEngine settings)
    {
        await using var a = new PeerConnection(null, settings);
        await using var b = new PeerConnection(null, settings);
        long iceA = 0, iceB = 0, connA = 0, connB = 0, openA = 0, openB = 0;
        var bothOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void CheckOpen() { if (Interlocked.Read(ref openA) != 0 && Interlocked.Read(ref openB) != 0) bothOpen.TrySetResult(); }
        a.OnIceConnectionStateChange += s => { if (s == IceConnectionState.Connected) Interlocked.CompareExchange(ref iceA, Stopwatch.GetTimestamp(), 0); };
        b.OnIceConnectionStateChange += s => { if (s == IceConnectionState.Connected) Interlocked.CompareExchange(ref iceB, Stopwatch.GetTimestamp(), 0); };
        a.OnConnectionStateChange += s => { if (s == PeerConnectionState.Connected) Interlocked.CompareExchange(ref connA, Stopwatch.GetTimestamp(), 0); };
        b.OnConnectionStateChange += s => { if (s == PeerConnectionState.Connected) Interlocked.CompareExchange(ref connB, Stopwatch.GetTimestamp(), 0); };
        b.OnDataChannel += ch =>
        {
            ch.OnOpen += () => { Interlocked.CompareExchange(ref openB, Stopwatch.GetTimestamp(), 0); CheckOpen(); };
            if (ch.ReadyState == DataChannelReadyState.Open) { Interlocked.CompareExchange(ref openB, Stopwatch.GetTimestamp(), 0); CheckOpen(); }
        };
        // A null candidate is the end of gathering: signal end-of-candidates (an empty candidate), as a browser does.
        a.OnIceCandidate += c => _ = Add(b, c ?? new IceCandidateInit(""));
        b.OnIceCandidate += c => _ = Add(a, c ?? new IceCandidateInit(""));

        var t0 = Stopwatch.GetTimestamp();
        var channel = a.CreateDataChannel("setup");
        channel.OnOpen += () => { Interlocked.CompareExchange(ref openA, Stopwatch.GetTimestamp(), 0); CheckOpen(); };
        var s0 = Stopwatch.GetTimestamp();
        var offer = await a.CreateOfferAsync();
        var s1 = Stopwatch.GetTimestamp();
        await a.SetLocalDescriptionAsync(offer);
        var s2 = Stopwatch.GetTimestamp();
        await b.SetRemoteDescriptionAsync(offer);
        var s3 = Stopwatch.GetTimestamp();
        var answer = await b.CreateAnswerAsync();
        var s4 = Stopwatch.GetTimestamp();
        await b.SetLocalDescriptionAsync(answer);
        var s5 = Stopwatch.GetTimestamp();
        await a.SetRemoteDescriptionAsync(b.LocalDescription!);
        var signaled = Stopwatch.GetTimestamp();
        // SETUP_SIGNAL_TRACE=1: each signaling call's time (ms).
        if (Environment.GetEnvironmentVariable("SETUP_SIGNAL_TRACE") is { Length: > 0 })
        {
            static string Span(long from, long to) => ((to - from) * 1000.0 / Stopwatch.Frequency).ToString("F3");
            Console.WriteLine($"  createDataChannel {Span(t0, s0)} createOffer {Span(s0, s1)} setLocal(offer) {Span(s1, s2)} setRemote(offer) {Span(s2, s3)} " +
                              $"createAnswer {Span(s3, s4)} setLocal(answer) {Span(s4, s5)} setRemote(answer) {Span(s5, signaled)}");
        }
        if (Environment.GetEnvironmentVariable("SETUP_TRACE") is { Length: > 0 })
        {
            var field = typeof(PeerConnection).GetField("_ice", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            var last = new[] { "", "" };
            for (var k = 0; k < 400 && !bothOpen.Task.IsCompleted; k++)
            {
                for (var side = 0; side < 2; side++)
                {
                    if (field.GetValue(side == 0 ? a : b) is not IceAgent agent) continue;
                    var text = string.Join("; ", agent.Pairs.Map(p => $"{p.Id}:{p.Remote.Type}->{p.RemoteEndPoint.Port} {p.State} v={p.Valid} n={p.Nominated}")) +
                               $" | state {agent.State} firstValid {agent.FirstValidAt} nominating {agent.NominatingPairId}";
                    if (text != last[side]) Console.WriteLine($"  {(Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency,7:F1} ms {(side == 0 ? "offerer " : "answerer")} {text}");
                    last[side] = text;
                }
                await Task.Delay(1);
            }
        }
        // SETUP_DTLS_TRACE=1: when each side's DTLS endpoint reports connected (before the connection's loop hears of it).
        long dtlsA = 0, dtlsB = 0;
        var dtlsTrace = Environment.GetEnvironmentVariable("SETUP_DTLS_TRACE") is { Length: > 0 };
        if (dtlsTrace)
        {
            var dtlsField = typeof(PeerConnection).GetField("_dtls", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
            for (var k = 0; k < 2000 && (dtlsField?.GetValue(a) is null || dtlsField?.GetValue(b) is null); k++) await Task.Yield();
            if (dtlsField?.GetValue(a) is Functional.WebRtc.Transport.Dtls.DtlsEndpoint da)
                da.Connected += _ => Interlocked.CompareExchange(ref dtlsA, Stopwatch.GetTimestamp(), 0);
            if (dtlsField?.GetValue(b) is Functional.WebRtc.Transport.Dtls.DtlsEndpoint db)
                db.Connected += _ => Interlocked.CompareExchange(ref dtlsB, Stopwatch.GetTimestamp(), 0);
        }
        if (channel.ReadyState == DataChannelReadyState.Open) { Interlocked.CompareExchange(ref openA, Stopwatch.GetTimestamp(), 0); CheckOpen(); }
        await bothOpen.Task.WaitAsync(TimeSpan.FromSeconds(20));
        if (dtlsTrace)
        {
            double M(long t) => t == 0 ? double.NaN : (t - t0) * 1000.0 / Stopwatch.Frequency;
            Console.WriteLine($"  signaled {M(signaled):F2} | ice A {M(iceA):F2} B {M(iceB):F2} | dtls A {M(dtlsA):F2} B {M(dtlsB):F2} | connected A {M(connA):F2} B {M(connB):F2} | open A {M(openA):F2} B {M(openB):F2}");
        }
        if (Environment.GetEnvironmentVariable("SETUP_DEBUG") is { Length: > 0 })
            foreach (var (name, pc) in new[] { ("offerer", a), ("answerer", b) })
            {
                var agent = typeof(PeerConnection).GetField("_ice", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)?.GetValue(pc) as IceAgent;
                if (agent is null) continue;
                Console.WriteLine($"  {name} pairs:");
                foreach (var p in agent.Pairs) Console.WriteLine($"    {p.Id} local {p.LocalId} -> {p.Remote.Type} {p.RemoteEndPoint} prio {p.Priority} {p.State} valid {p.Valid} nominated {p.Nominated}");
            }
        double Ms(long t) => (t - t0) * 1000.0 / Stopwatch.Frequency;
        return new Milestones(Ms(signaled), Math.Max(Ms(iceA), Ms(iceB)), Math.Max(Ms(connA), Ms(connB)), Math.Max(Ms(openA), Ms(openB)),
            Ms(connA) - Ms(iceA), Ms(connB) - Ms(iceB));
    }

    private static async Task Add(PeerConnection to, IceCandidateInit c)
    {
        for (var i = 0; i < 2000 && to.RemoteDescription is null; i++) await Task.Yield();
        for (var i = 0; i < 500 && to.RemoteDescription is null; i++) await Task.Delay(1);
        await to.AddIceCandidateAsync(c);
    }
}

/// <summary>Names of the methods the runtime compiles (its JIT verbose events), to see what is still being tiered up.</summary>
internal sealed class JitListener : System.Diagnostics.Tracing.EventListener
{
    public readonly System.Collections.Concurrent.ConcurrentQueue<string> Methods = new();
    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x10);
    }
    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.EventName is "MethodLoadVerbose_V1" or "MethodLoadVerbose_V2" or "MethodLoadVerbose")
        {
            var ns = e.Payload?[e.PayloadNames!.IndexOf("MethodNamespace")];
            var name = e.Payload?[e.PayloadNames!.IndexOf("MethodName")];
            var flags = e.PayloadNames!.Contains("MethodFlags") ? e.Payload?[e.PayloadNames.IndexOf("MethodFlags")] : null;
            Methods.Enqueue($"{ns}::{name} flags {flags}");
        }
    }
}
