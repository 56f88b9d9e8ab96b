using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.EventLog;
using Functional.WebRtc.Core.PeerConnection;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The six signaling calls of a connecting pair through <see cref="PeerMachine.Handle"/>, one by one, on the offerer
/// (audio + video track + data channel) and answerer of <see cref="Replay"/>. Descriptions set with SetLocal/SetRemote
/// are fresh <see cref="SessionDescription"/> values with the same text (as a replay or the network gives them), so no
/// parse is cached on them from an earlier iteration. <see cref="SixCalls"/> runs the whole exchange the way the shell
/// does: SetLocal gets the object CreateOffer/CreateAnswer returned, SetRemote a fresh one.
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- --filter '*NegotiationBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class NegotiationBenchmarks
{
    private const string Fingerprint = "sha-256 0B:5A:2C:9E:11:D4:7F:63:A0:B8:34:C2:5D:E9:70:1F:86:3B:C7:AA:02:F5:48:DE:91:6C:37:B4:E0:5A:19:8D";
    private static readonly PeerInput CreateOfferInput = new PeerInput.CreateOffer();
    private static readonly PeerInput CreateAnswerInput = new PeerInput.CreateAnswer();

    private PeerState offererReady = null!, offerCreated = null!, answerCreated = null!, offererHaveLocalOffer = null!, answererReady = null!, answererHaveRemoteOffer = null!;
    private string offer = null!, answer = null!;
    private List<string> offererLog = null!, answererLog = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = PeerConfig.Default(Fingerprint);
        var a = PeerMachine.Create(config, 0xA11CE);
        var b = PeerMachine.Create(config, 0xB0B);
        a = Do(a, new PeerInput.AddTransceiver(MediaKind.Audio, Direction.SendRecv)).State;
        a = Do(a, new PeerInput.AddTrack("video-1", "stream-1", MediaKind.Video)).State;
        a = Do(a, new PeerInput.CreateDataChannel("chat")).State;
        offererReady = a;
        var o = Do(a, CreateOfferInput);
        offer = Description(o).Sdp;
        offerCreated = o.State;
        offererHaveLocalOffer = Do(o.State, new PeerInput.SetLocalDescription(SessionDescription.Offer(offer))).State;
        answererReady = b;
        answererHaveRemoteOffer = Do(b, new PeerInput.SetRemoteDescription(SessionDescription.Offer(offer))).State;
        var an = Do(answererHaveRemoteOffer, CreateAnswerInput);
        answer = Description(an).Sdp;
        answerCreated = an.State;
        (offererLog, answererLog) = Replay.RecordLogs();
    }

    private static Step<PeerState, PeerOutput> Do(PeerState s, PeerInput input)
    {
        var step = PeerMachine.Handle(s, input);
        if (step.Outputs.Exists(x => x is PeerOutput.Failed)) throw new InvalidOperationException($"{input} failed");
        return step;
    }

    private static SessionDescription Description(Step<PeerState, PeerOutput> step) =>
        step.Outputs.Choose(o => o is PeerOutput.Completed { Description: { } d } ? LanguageExt.Prelude.Some(d) : LanguageExt.Prelude.None).Head;

    [Benchmark]
    public PeerState CreateOffer() => PeerMachine.Handle(offererReady, CreateOfferInput).State;

    [Benchmark]
    public PeerState SetLocalOffer() =>
        PeerMachine.Handle(offerCreated, new PeerInput.SetLocalDescription(SessionDescription.Offer(offer))).State;

    [Benchmark]
    public PeerState SetRemoteOffer() =>
        PeerMachine.Handle(answererReady, new PeerInput.SetRemoteDescription(SessionDescription.Offer(offer))).State;

    [Benchmark]
    public PeerState CreateAnswer() => PeerMachine.Handle(answererHaveRemoteOffer, CreateAnswerInput).State;

    [Benchmark]
    public PeerState SetLocalAnswer() =>
        PeerMachine.Handle(answerCreated, new PeerInput.SetLocalDescription(SessionDescription.Answer(answer))).State;

    [Benchmark]
    public PeerState SetRemoteAnswer() =>
        PeerMachine.Handle(offererHaveLocalOffer, new PeerInput.SetRemoteDescription(SessionDescription.Answer(answer))).State;

    /// <summary>CreateOffer, SetLocal, SetRemote, CreateAnswer, SetLocal, SetRemote on a fresh pair, as the shell calls them.</summary>
    [Benchmark]
    public PeerState SixCalls()
    {
        var o = PeerMachine.Handle(offererReady, CreateOfferInput);
        var offerDesc = Description(o);
        var a = PeerMachine.Handle(o.State, new PeerInput.SetLocalDescription(offerDesc)).State;
        var b = PeerMachine.Handle(answererReady, new PeerInput.SetRemoteDescription(SessionDescription.Offer(offerDesc.Sdp))).State;
        var an = PeerMachine.Handle(b, CreateAnswerInput);
        var answerDesc = Description(an);
        PeerMachine.Handle(an.State, new PeerInput.SetLocalDescription(answerDesc));
        return PeerMachine.Handle(a, new PeerInput.SetRemoteDescription(SessionDescription.Answer(answerDesc.Sdp))).State;
    }

    /// <summary>Both recorded logs (94 inputs) through EventLog.Replay: JSON decode, SDP parse, reducer.</summary>
    [Benchmark]
    public int ReplayBothLogs() =>
        EventLog.Replay(offererLog).Match(s => s.Count, _ => 0) + EventLog.Replay(answererLog).Match(s => s.Count, _ => 0);
}
