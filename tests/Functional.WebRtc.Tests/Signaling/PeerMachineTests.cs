using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;
using Input = Functional.WebRtc.Core.PeerConnection.PeerInput;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.Tests.Signaling;

/// <summary>Example tests of the pure PeerConnection machine: each API call as an input, each effect as an output.</summary>
public class PeerMachineTests
{
    private const string FingerprintA = "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    private const string FingerprintB = "sha-256 11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";

    /// <summary>A machine plus the outputs of the last input.</summary>
    private sealed class Peer(string fingerprint, ulong seed, bool passive = false)
    {
        public PeerState State = PeerMachine.Create(PeerConfig.Default(fingerprint) with { AnswerPassive = passive }, seed);
        public Seq<Output> Last;

        public Seq<Output> Run(Input input)
        {
            var step = PeerMachine.Handle(State, input);
            State = step.State;
            return Last = step.Outputs;
        }

        public SessionDescription Ok(Input input)
        {
            var outputs = Run(input);
            var failed = outputs.OfType<Output.Failed>().ToList();
            Assert.True(failed.Count == 0, failed.FirstOrDefault()?.Error.ToString());
            return outputs.OfType<Output.Completed>().Single().Description!;
        }

        public RtcError Fails(Input input)
        {
            var before = State;
            var outputs = Run(input);
            Assert.Equal(before, State); // a failed call leaves the state exactly as it was
            return Assert.Single(outputs.OfType<Output.Failed>()).Error;
        }

        public SessionDescription Offer() => Ok(new Input.CreateOffer());
        public SessionDescription Answer() => Ok(new Input.CreateAnswer());
        public void Local(SessionDescription d) => Ok(new Input.SetLocalDescription(d));
        public void Remote(SessionDescription d) => Ok(new Input.SetRemoteDescription(d));
    }

    private static (Peer A, Peer B) Pair() => (new Peer(FingerprintA, 1), new Peer(FingerprintB, 2));

    private static void Negotiate(Peer offerer, Peer answerer)
    {
        var offer = offerer.Offer();
        offerer.Local(offer);
        answerer.Remote(offer);
        var answer = answerer.Answer();
        answerer.Local(answer);
        offerer.Remote(answer);
    }

    private static SdpDescription Parse(SessionDescription d) => d.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));

    private static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Sdp", "Data", name));

    [Fact]
    public void ClosedConnectionRejectsEveryCallWithInvalidState()
    {
        var (a, _) = Pair();
        a.Ok(new Input.Close());
        Assert.Equal(SignalingState.Closed, a.State.Signaling);
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.CreateOffer()));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.CreateAnswer()));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.SetLocalDescription(SessionDescription.Offer(""))));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.SetRemoteDescription(SessionDescription.Offer(""))));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv)));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.CreateDataChannel("x")));
        // Close is idempotent.
        Assert.Empty(a.Run(new Input.Close()).Filter(o => o is not Output.Completed));
    }

    [Fact]
    public void CreateAnswerWithoutRemoteOfferIsInvalidState()
    {
        var (a, _) = Pair();
        Assert.Contains("no remote description", a.Fails(new Input.CreateAnswer()).Message);
        a.Local(a.Offer());
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.CreateAnswer()));
    }

    [Fact]
    public void WrongSignalingStateIsInvalidStateAndLeavesStateAlone()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        var offer = a.Offer();
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.SetLocalDescription(SessionDescription.Answer(offer.Sdp))));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.SetRemoteDescription(SessionDescription.Answer(offer.Sdp))));
        Assert.IsType<RtcError.InvalidState>(a.Fails(new Input.SetLocalDescription(SessionDescription.Rollback())));
        b.Remote(offer);
        Assert.IsType<RtcError.InvalidState>(b.Fails(new Input.SetLocalDescription(SessionDescription.Offer(offer.Sdp))));
    }

    [Fact]
    public void MalformedRemoteSdpIsASyntaxErrorNamingTheLine()
    {
        var (a, _) = Pair();
        var e = a.Fails(new Input.SetRemoteDescription(SessionDescription.Offer("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio nine UDP/TLS/RTP/SAVPF 0\r\n")));
        Assert.IsType<RtcError.Syntax>(e);
        Assert.Contains("5", e.Message);
    }

    [Fact]
    public void RemoteOfferWithoutFingerprintOrIceIsInvalidAccess()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        var offer = a.Offer().Sdp;
        var noFingerprint = string.Join("\r\n", offer.Split("\r\n").Where(l => !l.StartsWith("a=fingerprint")));
        Assert.IsType<RtcError.InvalidAccess>(b.Fails(new Input.SetRemoteDescription(SessionDescription.Offer(noFingerprint))));
        var noUfrag = string.Join("\r\n", offer.Split("\r\n").Where(l => !l.StartsWith("a=ice-ufrag")));
        Assert.IsType<RtcError.InvalidAccess>(b.Fails(new Input.SetRemoteDescription(SessionDescription.Offer(noUfrag))));
    }

    [Fact]
    public void RollbackOfALocalOfferRestoresStable()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        Negotiate(a, b);
        var current = (a.State.CurrentLocal, a.State.CurrentRemote);
        a.Ok(new Input.AddTransceiver(MediaKind.Video, Direction.SendRecv));
        a.Local(a.Offer());
        Assert.Equal(SignalingState.HaveLocalOffer, a.State.Signaling);
        a.Ok(new Input.SetLocalDescription(SessionDescription.Rollback()));
        Assert.Equal(SignalingState.Stable, a.State.Signaling);
        Assert.Equal(current, (a.State.CurrentLocal, a.State.CurrentRemote));
        Assert.True(a.State.PendingLocal.IsNone);
        Assert.Contains(a.Last, o => o is Output.SignalingStateChanged { State: SignalingState.Stable });
        // The transceiver the rolled-back offer gave a mid to is unassociated again, and negotiation is still needed.
        Assert.True(a.State.Transceivers.Single().Mid.IsNone);
        Assert.True(PeerMachine.IsNegotiationNeeded(a.State));
    }

    [Fact]
    public void RollbackOfARemoteOfferRemovesTheTransceiversItMade()
    {
        var (a, b) = Pair();
        a.Ok(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        var offer = a.Offer();
        a.Local(offer);
        b.Remote(offer);
        Assert.Single(b.State.Transceivers);
        b.Ok(new Input.SetRemoteDescription(SessionDescription.Rollback()));
        Assert.Equal(SignalingState.Stable, b.State.Signaling);
        Assert.Empty(b.State.Transceivers);
        Assert.True(b.State.RemoteDescription.IsNone);
    }

    [Fact]
    public void PranswerThenAnswer()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        var offer = a.Offer();
        a.Local(offer);
        b.Remote(offer);
        var answer = b.Answer();
        var pranswer = new SessionDescription(SdpType.Pranswer, answer.Sdp);
        b.Local(pranswer);
        Assert.Equal(SignalingState.HaveLocalPranswer, b.State.Signaling);
        a.Remote(pranswer);
        Assert.Equal(SignalingState.HaveRemotePranswer, a.State.Signaling);
        Assert.True(a.State.PendingRemote.IsSome);
        b.Local(answer);
        a.Remote(answer);
        Assert.Equal((SignalingState.Stable, SignalingState.Stable), (a.State.Signaling, b.State.Signaling));
        Assert.Equal(answer, a.State.CurrentRemote);
        Assert.True(a.State.PendingRemote.IsNone);
    }

    [Fact]
    public void EmptySdpInSetLocalDescriptionTakesTheLastOfferOrAnswer()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        var offer = a.Offer();
        a.Local(SessionDescription.Offer(""));
        Assert.Equal(offer, a.State.PendingLocal);
        b.Remote(offer);
        var answer = b.Answer();
        b.Local(SessionDescription.Answer(""));
        Assert.Equal(answer, b.State.CurrentLocal);
    }

    [Fact]
    public void EmptySdpWithNothingCreatedCreatesOneAsBrowsersDo()
    {
        var (a, _) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        a.Local(SessionDescription.Offer(""));
        Assert.Equal(SignalingState.HaveLocalOffer, a.State.Signaling);
        Assert.Contains("m=application", ((SessionDescription)a.State.PendingLocal).Sdp);
    }

    [Fact]
    public void IceRestartMakesNewCredentialsAndOnlyThen()
    {
        var (a, b) = Pair();
        a.Ok(new Input.CreateDataChannel("x"));
        Negotiate(a, b);
        string Ufrag(SessionDescription d) => Parse(d).Media[0].AttributeValue("ice-ufrag").Map(v => v.ToString()).IfNone("");
        string Pwd(SessionDescription d) => Parse(d).Media[0].AttributeValue("ice-pwd").Map(v => v.ToString()).IfNone("");
        var first = (SessionDescription)a.State.CurrentLocal;
        var again = a.Offer();
        Assert.Equal(Ufrag(first), Ufrag(again));
        var restart = a.Ok(new Input.CreateOffer(IceRestart: true));
        Assert.NotEqual(Ufrag(first), Ufrag(restart));
        Assert.NotEqual(Pwd(first), Pwd(restart));
        a.Local(restart);
        b.Remote(restart);
        var answer = b.Answer();
        b.Local(answer);
        a.Remote(answer);
        var parameters = a.Last.OfType<Output.TransportParameters>().Single();
        Assert.Equal(Ufrag(restart), parameters.Local.Ufrag);
    }

    [Fact]
    public void SetConfigurationChangesIceServersOnly()
    {
        var (a, _) = Pair();
        var cfg = a.State.Config;
        Input.SetConfiguration With(string[]? servers = null, string[]? fps = null, BundlePolicy? bundle = null, IceTransportPolicy? ice = null, RtcpMuxPolicy? mux = null) =>
            new(servers ?? [], fps ?? cfg.Fingerprints.ToArray(), bundle ?? cfg.BundlePolicy, ice ?? cfg.IceTransportPolicy, mux ?? cfg.RtcpMuxPolicy);
        a.Ok(With(["stun:127.0.0.1:3478"]));
        Assert.Equal(new[] { "stun:127.0.0.1:3478" }, a.State.Config.IceServers.ToArray());
        Assert.Contains(a.Last, o => o is Output.IceServersChanged);
        Assert.IsType<RtcError.InvalidModification>(a.Fails(With(fps: [FingerprintB])));
        Assert.IsType<RtcError.InvalidModification>(a.Fails(With(bundle: BundlePolicy.MaxBundle)));
        Assert.IsType<RtcError.InvalidModification>(a.Fails(With(mux: RtcpMuxPolicy.Negotiate)));
        Assert.IsType<RtcError.InvalidModification>(a.Fails(With(ice: IceTransportPolicy.Relay)));
        a.Ok(new Input.Close());
        Assert.IsType<RtcError.InvalidState>(a.Fails(With()));
    }

    [Fact]
    public void NegotiationNeededFiresForTheFirstDataChannelOnlyAndNotWhileUnstable()
    {
        var (a, b) = Pair();
        Assert.Contains(a.Run(new Input.CreateDataChannel("one")), o => o is Output.NegotiationNeeded);
        Assert.DoesNotContain(a.Run(new Input.CreateDataChannel("two")), o => o is Output.NegotiationNeeded);
        Negotiate(a, b);
        Assert.False(a.State.NegotiationNeeded);
        Assert.DoesNotContain(a.Run(new Input.CreateDataChannel("three")), o => o is Output.NegotiationNeeded);
        // A transceiver added while an offer is pending fires only once the state is stable again.
        a.Local(a.Offer());
        Assert.DoesNotContain(a.Run(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv)), o => o is Output.NegotiationNeeded);
        b.Remote((SessionDescription)a.State.PendingLocal);
        var answer = b.Answer();
        b.Local(answer);
        a.Run(new Input.SetRemoteDescription(answer));
        Assert.Contains(a.Last, o => o is Output.NegotiationNeeded);
    }

    [Fact]
    public void NegotiationNeededOnDirectionChangeStopAndRemoveTrack()
    {
        var (a, b) = Pair();
        a.Ok(new Input.AddTrack("t1", "s1", MediaKind.Audio));
        Negotiate(a, b);
        Assert.False(PeerMachine.IsNegotiationNeeded(a.State));
        Assert.Contains(a.Run(new Input.SetDirection(0, Direction.RecvOnly)), o => o is Output.NegotiationNeeded);
        Negotiate(a, b);
        Assert.False(PeerMachine.IsNegotiationNeeded(a.State));
        Assert.Contains(a.Run(new Input.StopTransceiver(0)), o => o is Output.NegotiationNeeded);
        Negotiate(a, b);
        Assert.False(PeerMachine.IsNegotiationNeeded(a.State));
        Assert.Equal(0, Parse((SessionDescription)a.State.CurrentLocal).Media[0].Port);
    }

    [Fact]
    public void MidOrderIsStableAcrossRenegotiationAndRejectedSectionsAreRecycled()
    {
        var (a, b) = Pair();
        a.Ok(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        a.Ok(new Input.CreateDataChannel("x"));
        a.Ok(new Input.AddTransceiver(MediaKind.Video, Direction.SendRecv));
        Negotiate(a, b);
        var mids = Parse((SessionDescription)a.State.CurrentLocal).Media.Map(Jsep.Mid).ToList();
        a.Ok(new Input.AddTransceiver(MediaKind.Video, Direction.SendOnly));
        Negotiate(a, b);
        var after = Parse((SessionDescription)a.State.CurrentLocal).Media.Map(Jsep.Mid).ToList();
        Assert.Equal(mids, after.Take(3));
        Assert.Equal(4, after.Count);
        // Stop the first video; its section is rejected, then recycled by a new transceiver with a fresh mid.
        // Sections: audio (transceiver 0), video (1), application, video (2).
        a.Ok(new Input.StopTransceiver(1));
        Negotiate(a, b);
        Assert.Equal(0, Parse((SessionDescription)a.State.CurrentLocal).Media[1].Port);
        a.Ok(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        Negotiate(a, b);
        var recycled = Parse((SessionDescription)a.State.CurrentLocal).Media;
        Assert.Equal(4, recycled.Count);
        Assert.NotEqual(0, recycled[1].Port);
        Assert.Equal("audio", recycled[1].Media.ToString());
        Assert.NotEqual(mids[1], Jsep.Mid(recycled[1]));
    }

    [Fact]
    public void AnswersChromiumsAudioVideoDataOfferKeepingPayloadTypesAndOrder()
    {
        var (_, b) = Pair();
        var offerText = Read("chromium-av-data-offer.sdp");
        var offer = SessionDescription.Offer(offerText);
        b.Remote(offer);
        var answer = Parse(b.Answer());
        var parsedOffer = Parse(offer);
        Assert.Equal(parsedOffer.Media.Map(Jsep.Mid), answer.Media.Map(Jsep.Mid));
        Assert.Equal(parsedOffer.Media.Map(m => m.Media.ToString()), answer.Media.Map(m => m.Media.ToString()));
        foreach (var (o, a) in parsedOffer.Media.Zip(answer.Media))
        {
            Assert.NotEqual(0, a.Port);
            var offered = o.Formats.Map(f => f.ToString()).ToList();
            var answered = a.Formats.Map(f => f.ToString()).ToList();
            Assert.All(answered, f => Assert.Contains(f, offered));
            Assert.Equal(answered, offered.Where(answered.Contains)); // the offer's order
        }
        var audio = Jsep.Codecs(answer.Media[0], MediaKind.Audio);
        Assert.Contains(audio, c => c.Name == "opus" && c.PayloadType == 111);
        var video = Jsep.Codecs(answer.Media[1], MediaKind.Video);
        Assert.Contains(video, c => c.Name == "VP8");
        Assert.All(video.Filter(c => c.IsRtx), rtx => Assert.Contains(video, c => c.PayloadType == rtx.Apt.IfNone(-1)));
        Assert.Equal(parsedOffer.Media.Count, Jsep.BundleGroup(answer).IfNone(LanguageExt.Seq<string>.Empty).Count);
        Assert.True(b.State.Transceivers.Count == 2 && b.State.Transceivers.All(t => t.CreatedByRemote));
    }

    [Fact]
    public void UnsupportedMediaIsAnsweredWithPortZero()
    {
        var (a, b) = Pair();
        a.Ok(new Input.AddTransceiver(MediaKind.Audio, Direction.SendRecv));
        var offer = a.Offer().Sdp.Replace("m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8", "m=audio 9 UDP/TLS/RTP/SAVPF 96")
            .Replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:96 speex/16000");
        b.Remote(SessionDescription.Offer(offer));
        var answer = Parse(b.Answer());
        Assert.Equal(0, answer.Media[0].Port);
        Assert.True(Jsep.BundleGroup(answer).IfNone(LanguageExt.Seq<string>.Empty).IsEmpty);
    }

    [Fact]
    public void AnswererIsDtlsActiveByDefaultAndPassiveWhenConfigured()
    {
        foreach (var (passive, expected) in new[] { (false, "active"), (true, "passive") })
        {
            var a = new Peer(FingerprintA, 1);
            var b = new Peer(FingerprintB, 2, passive);
            a.Ok(new Input.CreateDataChannel("x"));
            var offer = a.Offer();
            Assert.Equal("actpass", Parse(offer).Media[0].AttributeValue("setup").Map(v => v.ToString()));
            a.Local(offer);
            b.Remote(offer);
            var answer = b.Answer();
            Assert.Equal(expected, Parse(answer).Media[0].AttributeValue("setup").Map(v => v.ToString()));
            b.Local(answer);
            a.Remote(answer);
            var pa = a.Last.OfType<Output.TransportParameters>().Single();
            var pb = b.Last.OfType<Output.TransportParameters>().Single();
            Assert.NotEqual(pa.DtlsClient, pb.DtlsClient);
            Assert.Equal(!passive, pb.DtlsClient);
            Assert.True(pa.IceControlling);
            Assert.False(pb.IceControlling);
        }
    }

    [Fact]
    public void ConnectionStateFollowsIceAndDtls()
    {
        var (a, _) = Pair();
        a.Run(new Input.IceStateChanged(IceConnectionState.Checking));
        Assert.Equal(PeerConnectionState.Connecting, a.State.Connection);
        a.Run(new Input.IceStateChanged(IceConnectionState.Connected));
        Assert.Equal(PeerConnectionState.Connecting, a.State.Connection);
        a.Run(new Input.DtlsStateChanged(DtlsTransportState.Connected));
        Assert.Equal(PeerConnectionState.Connected, a.State.Connection);
        Assert.Contains(a.Last, o => o is Output.ConnectionStateChanged { State: PeerConnectionState.Connected });
        a.Run(new Input.IceStateChanged(IceConnectionState.Disconnected));
        Assert.Equal(PeerConnectionState.Disconnected, a.State.Connection);
        a.Run(new Input.DtlsStateChanged(DtlsTransportState.Failed));
        Assert.Equal(PeerConnectionState.Failed, a.State.Connection);
        a.Run(new Input.Close());
        Assert.Equal(PeerConnectionState.Closed, a.State.Connection);
    }

    [Theory]
    [InlineData(false, IceConnectionState.New, DtlsTransportState.New, PeerConnectionState.New)]
    [InlineData(false, IceConnectionState.Checking, DtlsTransportState.New, PeerConnectionState.Connecting)]
    [InlineData(false, IceConnectionState.Completed, DtlsTransportState.Connected, PeerConnectionState.Connected)]
    [InlineData(false, IceConnectionState.Connected, DtlsTransportState.Connecting, PeerConnectionState.Connecting)]
    [InlineData(false, IceConnectionState.Failed, DtlsTransportState.Connected, PeerConnectionState.Failed)]
    [InlineData(false, IceConnectionState.Connected, DtlsTransportState.Failed, PeerConnectionState.Failed)]
    [InlineData(false, IceConnectionState.Disconnected, DtlsTransportState.Connected, PeerConnectionState.Disconnected)]
    [InlineData(true, IceConnectionState.Connected, DtlsTransportState.Connected, PeerConnectionState.Closed)]
    [InlineData(false, IceConnectionState.Connected, DtlsTransportState.Closed, PeerConnectionState.Connected)]
    [InlineData(false, IceConnectionState.Closed, DtlsTransportState.Closed, PeerConnectionState.New)]
    [InlineData(false, IceConnectionState.Checking, DtlsTransportState.Connected, PeerConnectionState.Connecting)]
    public void ConnectionStateDerivation(bool closed, IceConnectionState ice, DtlsTransportState dtls, PeerConnectionState expected) =>
        Assert.Equal(expected, ConnectionStates.Derive(closed, ice, dtls));
}
