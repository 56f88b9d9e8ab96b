using System.Diagnostics;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.EventLog;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Signaling;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// Replay harness of the "Foundation" issue: records the event logs of two PeerMachines driven directly (offer/answer
/// with audio + video + data, renegotiation, rollback on both sides, direction change and stop, ICE and DTLS state
/// inputs, close), then replays them and reports inputs per second: through <see cref="EventLog.Replay"/> (JSON decode +
/// reducer) and through <see cref="PeerMachine.Handle"/> alone on freshly decoded inputs, with the time per input kind.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- replay [seconds per phase]
/// </summary>
public static class Replay
{
    private const string Fingerprint = "sha-256 0B:5A:2C:9E:11:D4:7F:63:A0:B8:34:C2:5D:E9:70:1F:86:3B:C7:AA:02:F5:48:DE:91:6C:37:B4:E0:5A:19:8D";

    public static int Run(string[] args)
    {
        var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var (offerer, answerer) = RecordLogs();
        Console.WriteLine($"replay: offerer log {offerer.Count - 1} inputs, answerer log {answerer.Count - 1} inputs " +
                          $"({offerer.Sum(l => l.Length) + answerer.Sum(l => l.Length)} bytes of JSON)");
        if (Environment.GetEnvironmentVariable("REPLAY_DUMP") is { Length: > 0 } dump)
            File.WriteAllLines(dump, offerer.Concat(["", "# answerer"]).Concat(answerer));

        // Sanity: the log replays without a failed step.
        foreach (var log in new[] { offerer, answerer })
        {
            var steps = EventLog.Replay(log).IfLeft(e => throw new InvalidOperationException(e.ToString()));
            var failed = steps.Count(s => s.Outputs.Exists(o => o is PeerOutput.Failed));
            if (failed > 0) Console.WriteLine($"warning: {failed} steps failed in replay (expected: the scripted invalid calls)");
        }

        // Warm-up, untimed: tiered JIT keeps postponing tier-1 while new methods are still being compiled, and this path
        // touches many (LanguageExt generics, System.Text.Json); without it the first seconds measure tier-0 code.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < Math.Max(3, seconds)) { EventLog.Replay(offerer); EventLog.Replay(answerer); }

        // 1. EventLog.Replay end to end (JSON decode + reducer + step list).
        var inputs = 0L;
        var clock = Stopwatch.StartNew();
        var gc0 = GC.GetTotalAllocatedBytes(true);
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            inputs += EventLog.Replay(offerer).Match(s => s.Count, _ => 0);
            inputs += EventLog.Replay(answerer).Match(s => s.Count, _ => 0);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(true) - gc0;
        Console.WriteLine($"EventLog.Replay (JSON + Handle): {inputs / elapsed:N0} inputs/s, {elapsed / inputs * 1e6:F2} us/input, " +
                          $"{allocated / (double)inputs / 1024:F1} KiB allocated/input");

        // 2. Handle alone on freshly decoded inputs (decoded outside the clock, so each SDP is parsed as in a real replay).
        var kinds = new Dictionary<string, (long Count, long Ticks, long Bytes)>();
        long handleTicks = 0, handled = 0, decodeTicks = 0;
        var overall = Stopwatch.StartNew();
        while (overall.Elapsed.TotalSeconds < seconds)
        {
            foreach (var log in new[] { offerer, answerer })
            {
                var t0 = Stopwatch.GetTimestamp();
                var header = System.Text.Json.JsonSerializer.Deserialize<EventLogHeader>(log[0], HeaderJson)!;
                var batch = log.Skip(1).Select(PeerInput.FromJson).ToArray();
                decodeTicks += Stopwatch.GetTimestamp() - t0;
                var state = PeerMachine.Create(header.Config, header.Seed);
                foreach (var input in batch)
                {
                    var b0 = GC.GetAllocatedBytesForCurrentThread();
                    var s0 = Stopwatch.GetTimestamp();
                    var step = PeerMachine.Handle(state, input);
                    var dt = Stopwatch.GetTimestamp() - s0;
                    var db = GC.GetAllocatedBytesForCurrentThread() - b0;
                    state = step.State;
                    handleTicks += dt;
                    handled++;
                    var kind = Kind(input);
                    kinds[kind] = kinds.TryGetValue(kind, out var k) ? (k.Count + 1, k.Ticks + dt, k.Bytes + db) : (1, dt, db);
                }
            }
        }
        var handleSeconds = handleTicks / (double)Stopwatch.Frequency;
        Console.WriteLine($"PeerMachine.Handle only: {handled / handleSeconds:N0} inputs/s, {handleSeconds / handled * 1e6:F2} us/input " +
                          $"(JSON decode of the same inputs: {decodeTicks / (double)Stopwatch.Frequency / handled * 1e6:F2} us/input)");
        Console.WriteLine($"{"input kind",-34} {"count/log",9} {"us/input",10} {"inputs/s",12} {"KiB alloc",10} {"% of Handle time",17}");
        var runs = kinds.Values.Sum(v => v.Count) / (double)(offerer.Count + answerer.Count - 2);
        foreach (var (kind, v) in kinds.OrderByDescending(k => k.Value.Ticks))
        {
            var us = v.Ticks / (double)Stopwatch.Frequency / v.Count * 1e6;
            Console.WriteLine($"{kind,-34} {v.Count / runs,9:F0} {us,10:F2} {1e6 / us,12:N0} {v.Bytes / (double)v.Count / 1024,10:F1} {100.0 * v.Ticks / handleTicks,16:F1}%");
        }
        Breakdown();
        return 0;
    }

    /// <summary>Where the time of the expensive inputs goes: the pieces CreateAnswer/CreateOffer/SetRemote and every input run.</summary>
    private static void Breakdown()
    {
        var config = PeerConfig.Default(Fingerprint);
        var a = new Side(config, 0xA11CE);
        var b = new Side(config, 0xB0B);
        a.Do(new PeerInput.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        a.Do(new PeerInput.AddTrack("video-1", "stream-1", MediaKind.Video));
        a.Do(new PeerInput.CreateDataChannel("chat"));
        var offerState = a.State;
        var offer = a.Describe(new PeerInput.CreateOffer());
        a.Do(new PeerInput.SetLocalDescription(offer));
        b.Do(new PeerInput.SetRemoteDescription(offer));
        var answerState = b.State;
        var answer = b.Describe(new PeerInput.CreateAnswer());
        b.Do(new PeerInput.SetLocalDescription(answer));
        a.Do(new PeerInput.SetRemoteDescription(answer));
        var stable = a.State;
        var parsedOffer = Core.Sdp.SdpParser.Parse(offer.Sdp).IfLeft(e => throw new InvalidOperationException(e.ToString()));
        var local = new LocalParameters(answerState.LocalIce, config.Fingerprints, "active", config);
        var answerModel = Jsep.CreateAnswer(local, parsedOffer, answerState.Transceivers, answerState.SessionId, 2);
        Console.WriteLine($"breakdown (offer {offer.Sdp.Length} chars, answer {answer.Sdp.Length} chars; us per call, KiB allocated):");
        Time("SdpParser.Parse(our offer)", () => Core.Sdp.SdpParser.Parse(offer.Sdp));
        Time("Jsep.CreateAnswer (model only)", () => Jsep.CreateAnswer(local, parsedOffer, answerState.Transceivers, answerState.SessionId, 2));
        var sections = parsedOffer.Media.Filter(m => !Jsep.IsData(m)).ToArray();
        var kinds = sections.Select(m => m.Media.ToString() == "audio" ? MediaKind.Audio : MediaKind.Video).ToArray();
        Time("  of which Jsep.Codecs(offered sections)", () => { var n = 0; for (var i = 0; i < sections.Length; i++) n += Jsep.Codecs(sections[i], kinds[i]).Count; return n; });
        var offered = sections.Select((m, i) => Jsep.Codecs(m, kinds[i]).Where(c => !c.IsRtx).ToArray()).ToArray();
        Time("  of which MediaEngine.Match(each codec)", () =>
        {
            var n = 0;
            for (var i = 0; i < offered.Length; i++)
                foreach (var c in offered[i]) n += config.Media.Match(kinds[i], c.Name, c.ClockRate, c.Channels, c.Fmtp).IsSome ? 1 : 0;
            return n;
        });
        Time("answer model .ToString() (SDP text)", () => answerModel.ToString());
        Time("PeerMachine.Handle(CreateAnswer)", () => PeerMachine.Handle(answerState, new PeerInput.CreateAnswer()));
        Time("PeerMachine.Handle(CreateOffer)", () => PeerMachine.Handle(offerState, new PeerInput.CreateOffer()));
        Time("PeerMachine.IsNegotiationNeeded(stable)", () => PeerMachine.IsNegotiationNeeded(stable));
        Time("Handle(IceStateChanged) on stable", () => PeerMachine.Handle(stable, new PeerInput.IceStateChanged(IceConnectionState.Checking)));
        var (logA, logB) = RecordLogs();
        Time("EventLog.Replay(both logs, 94 inputs)", () => EventLog.Replay(logA).Match(x => x.Count, _ => 0) + EventLog.Replay(logB).Match(x => x.Count, _ => 0));
        Time("EventLog.Replay(offerer log, 49 inputs)", () => EventLog.Replay(logA).Match(x => x.Count, _ => 0));
        Time("same by hand: decode + Create + Handle", () =>
        {
            var header = System.Text.Json.JsonSerializer.Deserialize<EventLogHeader>(logA[0], HeaderJson)!;
            var state = PeerMachine.Create(header.Config, header.Seed);
            var n = 0;
            for (var i = 1; i < logA.Count; i++) { state = PeerMachine.Handle(state, PeerInput.FromJson(logA[i])).State; n++; }
            return n;
        });
        Time("  header decode + PeerMachine.Create", () =>
        {
            var header = System.Text.Json.JsonSerializer.Deserialize<EventLogHeader>(logA[0], HeaderJson)!;
            return PeerMachine.Create(header.Config, header.Seed);
        });
        Time("PeerInput.FromJson(set-remote offer)", () => PeerInput.FromJson(new PeerInput.SetRemoteDescription(offer).ToJson()));
    }

    private static void Time(string name, Func<object> f)
    {
        for (var i = 0; i < 200; i++) f();
        var n = 0L;
        var b0 = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 500) { f(); n++; }
        var us = clock.Elapsed.TotalMilliseconds * 1000 / n;
        Console.WriteLine($"  {name,-42} {us,10:F2} us {(GC.GetAllocatedBytesForCurrentThread() - b0) / (double)n / 1024,8:F1} KiB");
    }

    private static readonly System.Text.Json.JsonSerializerOptions HeaderJson =
        new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower) } };

    private static string Kind(PeerInput input) => input switch
    {
        PeerInput.SetLocalDescription d => $"SetLocalDescription({d.Description.Type})",
        PeerInput.SetRemoteDescription d => $"SetRemoteDescription({d.Description.Type})",
        PeerInput.IceStateChanged => "IceStateChanged",
        PeerInput.DtlsStateChanged => "DtlsStateChanged",
        _ => input.GetType().Name,
    };

    /// <summary>Drives an offerer and an answerer machine through a whole session and returns both event logs.</summary>
    public static (List<string> Offerer, List<string> Answerer) RecordLogs()
    {
        var config = PeerConfig.Default(Fingerprint);
        var a = new Side(config, 0xA11CE);
        var b = new Side(config, 0xB0B);

        a.Do(new PeerInput.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        a.Do(new PeerInput.AddTrack("video-1", "stream-1", MediaKind.Video));
        a.Do(new PeerInput.CreateDataChannel("chat"));
        Negotiate(a, b);
        foreach (var s in new[] { a, b })
        {
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Checking));
            s.Do(new PeerInput.DtlsStateChanged(DtlsTransportState.Connecting));
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Connected));
            s.Do(new PeerInput.DtlsStateChanged(DtlsTransportState.Connected));
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Completed));
        }

        // Renegotiation from the answerer: a second audio track, and a direction change.
        b.Do(new PeerInput.AddTrack("audio-2", "stream-2", MediaKind.Audio));
        b.Do(new PeerInput.SetDirection(0, Direction.RecvOnly));
        Negotiate(b, a);

        // Rollback of a local offer (offerer), and of a remote offer (answerer).
        a.Do(new PeerInput.AddTransceiver(MediaKind.Video, Direction.RecvOnly));
        var offer = a.Describe(new PeerInput.CreateOffer());
        a.Do(new PeerInput.SetLocalDescription(offer));
        a.Do(new PeerInput.SetLocalDescription(SessionDescription.Rollback()));
        b.Do(new PeerInput.SetRemoteDescription(offer));
        b.Do(new PeerInput.SetRemoteDescription(SessionDescription.Rollback()));

        // Stop a transceiver and negotiate; an ICE restart; a disconnection and recovery.
        a.Do(new PeerInput.StopTransceiver(0));
        Negotiate(a, b);
        var restart = a.Describe(new PeerInput.CreateOffer(IceRestart: true));
        a.Do(new PeerInput.SetLocalDescription(restart));
        b.Do(new PeerInput.SetRemoteDescription(restart));
        var answer = b.Describe(new PeerInput.CreateAnswer());
        b.Do(new PeerInput.SetLocalDescription(answer));
        a.Do(new PeerInput.SetRemoteDescription(answer));
        foreach (var s in new[] { a, b })
        {
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Disconnected));
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Checking));
            s.Do(new PeerInput.IceStateChanged(IceConnectionState.Connected));
        }
        // A burst of transport reports, as a flapping network gives (cheap inputs dominate a long-lived log).
        for (var i = 0; i < 10; i++)
            foreach (var s in new[] { a, b })
            {
                s.Do(new PeerInput.IceStateChanged(IceConnectionState.Disconnected));
                s.Do(new PeerInput.IceStateChanged(IceConnectionState.Connected));
            }
        a.Do(new PeerInput.Close());
        b.Do(new PeerInput.Close());
        return (EventLog.Record(a.Header, a.Inputs).ToList(), EventLog.Record(b.Header, b.Inputs).ToList());
    }

    private static void Negotiate(Side offerer, Side answerer)
    {
        var offer = offerer.Describe(new PeerInput.CreateOffer());
        offerer.Do(new PeerInput.SetLocalDescription(offer));
        answerer.Do(new PeerInput.SetRemoteDescription(offer));
        var answer = answerer.Describe(new PeerInput.CreateAnswer());
        answerer.Do(new PeerInput.SetLocalDescription(answer));
        offerer.Do(new PeerInput.SetRemoteDescription(answer));
    }

    private sealed class Side(PeerConfig config, ulong seed)
    {
        public EventLogHeader Header { get; } = EventLogHeader.Of(config, seed);
        public List<PeerInput> Inputs { get; } = [];
        private PeerState _state = PeerMachine.Create(config, seed);
        public PeerState State => _state;

        public Step<PeerState, PeerOutput> Do(PeerInput input)
        {
            Inputs.Add(input);
            var step = PeerMachine.Handle(_state, input);
            _state = step.State;
            if (step.Outputs.FirstOrDefault(o => o is PeerOutput.Failed) is PeerOutput.Failed f)
                throw new InvalidOperationException($"{input.GetType().Name} failed: {f.Error}");
            return step;
        }

        public SessionDescription Describe(PeerInput input) =>
            Do(input).Outputs.Choose(o => o is PeerOutput.Completed { Description: { } d } ? LanguageExt.Prelude.Some(d) : LanguageExt.Prelude.None).Head;
    }
}
