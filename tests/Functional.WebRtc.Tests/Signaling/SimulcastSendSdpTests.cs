using Functional.WebRtc.Core;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;
using Input = Functional.WebRtc.Core.PeerConnection.PeerInput;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.Tests.Signaling;

/// <summary>
/// Offering and answering simulcast as a sender (RFC 8853 5.3, RFC 8851 4, JSEP 5.2.1/5.3.1) through the pure machine:
/// SetSendEncodings gives a transceiver rid layers with their SSRCs; offers and answers list them.
/// </summary>
public class SimulcastSendSdpTests
{
    private const string Fingerprint = "sha-256 11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";

    private static Step<PeerState, Output> Step(PeerState state, Input input) => PeerMachine.Handle(state, input);

    private static (PeerState State, Seq<Output> Outputs) Run(PeerState state, Input input)
    {
        var step = Step(state, input);
        Assert.Empty(step.Outputs.OfType<Output.Failed>());
        return (step.State, step.Outputs);
    }

    private static RtcError Error(PeerState state, Input input) =>
        Assert.Single(Step(state, input).Outputs.OfType<Output.Failed>()).Error;

    private static PeerState New(ulong seed = 7) => PeerMachine.Create(PeerConfig.Default(Fingerprint), seed);

    private static SessionDescription Describe(ref PeerState state, Input input)
    {
        var (next, outputs) = Run(state, input);
        state = next;
        return outputs.OfType<Output.Completed>().Single().Description!;
    }

    private static MediaDescription Video(SessionDescription d) =>
        d.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString())).Media.Find(m => m.Media == "video").IfNone(() => throw new Exception("no video"));

    /// <summary>A state with a video track sent in the given layers.</summary>
    private static PeerState Sender(params string[] rids)
    {
        var state = Run(New(), new Input.AddTrack("cam", "stream", MediaKind.Video)).State;
        return Run(state, new Input.SetSendEncodings(0, rids)).State;
    }

    [Fact]
    public void OfferNamesEachLayerByRidWithoutSsrcLines()
    {
        var state = Sender("q", "h", "f");
        var t = state.Transceivers[0];
        Assert.Equal(new[] { "q", "h", "f" }, t.Encodings.Map(e => e.Rid));
        Assert.Equal((t.Ssrc, t.RtxSsrc), (t.Encodings[0].Ssrc, t.Encodings[0].RtxSsrc)); // the first layer is the plain stream
        Assert.Equal(6, t.Encodings.Bind(e => Arr.create(e.Ssrc, e.RtxSsrc)).Distinct().Count());

        var offer = Describe(ref state, new Input.CreateOffer());
        var video = Video(offer);
        Assert.Equal(new[] { "q send", "h send", "f send" }, video.Rids().Map(r => r.ToString()));
        Assert.Equal("send q;h;f", video.GetSimulcast().Map(s => s.ToString()).IfNone(""));
        Assert.False(video.HasAttribute("ssrc"));
        Assert.False(video.HasAttribute("ssrc-group"));
        Assert.Equal("stream cam", video.AttributeValue("msid").Map(v => v.ToString()).IfNone(""));
        Assert.Contains((4, MediaEngine.MidUri), Jsep.Extmaps(video));
        Assert.Contains((10, MediaEngine.RidUri), Jsep.Extmaps(video));
        Assert.Contains((11, MediaEngine.RepairedRidUri), Jsep.Extmaps(video));
    }

    [Fact]
    public void OneLayerOrNoneIsAPlainStreamWithSsrcLines()
    {
        foreach (var rids in new[] { System.Array.Empty<string>(), ["only"] })
        {
            var state = Sender(rids);
            var video = Video(Describe(ref state, new Input.CreateOffer()));
            Assert.True(video.Rids().IsEmpty);
            Assert.True(video.GetSimulcast().IsNone);
            Assert.True(video.HasAttribute("ssrc"));
        }
    }

    [Fact]
    public void SimulcastRoundTripsThroughOurOwnAnswerAndNeedsNoFurtherNegotiation()
    {
        var offerer = Sender("lo", "hi");
        var offer = Describe(ref offerer, new Input.CreateOffer());
        offerer = Run(offerer, new Input.SetLocalDescription(offer)).State;
        // The offer goes out as text and comes back parsed: what is written is what is read.
        var answerer = Run(New(9), new Input.SetRemoteDescription(SessionDescription.Offer(offer.Sdp))).State;
        var answer = Describe(ref answerer, new Input.CreateAnswer());
        answerer = Run(answerer, new Input.SetLocalDescription(answer)).State;
        offerer = Run(offerer, new Input.SetRemoteDescription(SessionDescription.Answer(answer.Sdp))).State;

        var answered = Video(answer);
        Assert.Equal(new[] { "lo recv", "hi recv" }, answered.Rids().Map(r => r.ToString()));
        Assert.Equal("recv lo;hi", answered.GetSimulcast().Map(s => s.ToString()).IfNone(""));
        Assert.Equal(new[] { "lo", "hi" }, SimulcastSend.NegotiatedRids(Video(offer), answered));
        Assert.Equal(SignalingState.Stable, offerer.Signaling);
        Assert.False(PeerMachine.IsNegotiationNeeded(offerer));
        Assert.False(PeerMachine.IsNegotiationNeeded(answerer));

        // Once sending was negotiated, the layers stay as they are (W3C setParameters: InvalidModificationError).
        Assert.IsType<RtcError.InvalidModification>(Error(offerer, new Input.SetSendEncodings(0, ["lo"])));
        Run(offerer, new Input.SetSendEncodings(0, ["lo", "hi"])); // the same layers again are fine
    }

    [Fact]
    public void LayersChangedBeforeTheAnswerAreOfferedAgain()
    {
        // Offer two layers, get back an answer, then the transceiver is renegotiated as recvonly and gets new layers.
        var state = Sender("a", "b");
        var offer = Describe(ref state, new Input.CreateOffer());
        state = Run(state, new Input.SetLocalDescription(offer)).State;
        var answerer = Run(New(9), new Input.SetRemoteDescription(offer)).State;
        var answer = Describe(ref answerer, new Input.CreateAnswer());
        state = Run(state, new Input.SetRemoteDescription(answer)).State;
        Assert.False(PeerMachine.IsNegotiationNeeded(state));
        // Our offer listed a and b; a transceiver whose layers differ from its last offer needs a new one.
        var changed = state with { Transceivers = state.Transceivers.Map(t => t with { Encodings = t.Encodings.Add(new SendEncoding("c", 5, 7)) }) };
        Assert.True(PeerMachine.IsNegotiationNeeded(changed));
    }

    /// <summary>A Chromium-style offer that asks to receive simulcast (a=rid recv, a=simulcast:recv), as an SFU would make.</summary>
    private static string ReceiveOffer(string simulcast = "recv h;q;x", string direction = "recvonly") =>
        SimulcastAnswerTests.ChromiumSimulcastOffer
            .Replace("a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\n", "a=rid:h recv\r\na=rid:q recv\r\na=rid:x recv\r\n")
            .Replace("a=simulcast:send q;h;~f", "a=simulcast:" + simulcast)
            .Replace("a=sendrecv", "a=" + direction)
            .Replace("a=msid:- 80d20c57-57a5-4005-a307-0b67c46cc3fb\r\n", "");

    [Fact]
    public void AnswerToASimulcastReceiveOfferSendsTheAskedLayersWeHave()
    {
        var state = Run(New(), new Input.SetRemoteDescription(SessionDescription.Offer(ReceiveOffer()))).State;
        state = Run(state, new Input.AddTrack("cam", "stream", MediaKind.Video)).State; // takes the offered transceiver
        var index = state.Transceivers.Single().Index;
        state = Run(state, new Input.SetSendEncodings(index, ["q", "h", "f"])).State;
        var answer = Video(Describe(ref state, new Input.CreateAnswer()));

        // RFC 8853 5.3.2: a subset of the offered recv streams (x is not ours, f was not asked for), in the offer's order.
        Assert.Equal(new[] { "h send", "q send" }, answer.Rids().Map(r => r.ToString()));
        Assert.Equal("send h;q", answer.GetSimulcast().Map(s => s.ToString()).IfNone(""));
        Assert.Equal(Direction.SendOnly, Jsep.DirectionOf(answer));
        Assert.False(answer.HasAttribute("ssrc"));
        var offered = Video(SessionDescription.Offer(ReceiveOffer()));
        Assert.Equal(new[] { "h", "q" }, SimulcastSend.NegotiatedRids(answer, offered)); // in our section's order
    }

    [Fact]
    public void ASectionThatSendsAndReceivesSimulcastHasOneSimulcastLine()
    {
        var offer = ReceiveOffer("send q;h recv h;q", "sendrecv")
            .Replace("a=rid:x recv\r\n", "a=rid:q send\r\na=rid:h send\r\n");
        Assert.Contains("a=rid:h recv", offer);
        var state = Run(New(), new Input.SetRemoteDescription(SessionDescription.Offer(offer))).State;
        state = Run(state, new Input.AddTrack("cam", "stream", MediaKind.Video)).State;
        state = Run(state, new Input.SetSendEncodings(0, ["q", "h"])).State;
        var answer = Video(Describe(ref state, new Input.CreateAnswer()));
        var simulcast = Assert.Single(answer.AttributeValues("simulcast"));
        Assert.Equal("send h;q recv q;h", simulcast.ToString());
        Assert.Equal(new[] { "h send", "q send", "q recv", "h recv" }, answer.Rids().Map(r => r.ToString()));
    }

    [Fact]
    public void WithoutSimulcastInTheOfferTheAnswerSendsOnePlainStream()
    {
        var plain = ReceiveOffer().Replace("a=rid:h recv\r\na=rid:q recv\r\na=rid:x recv\r\n", "").Replace("a=simulcast:recv h;q;x\r\n", "");
        var state = Run(New(), new Input.SetRemoteDescription(SessionDescription.Offer(plain))).State;
        state = Run(state, new Input.AddTrack("cam", "stream", MediaKind.Video)).State;
        state = Run(state, new Input.SetSendEncodings(0, ["q", "h"])).State;
        var answer = Video(Describe(ref state, new Input.CreateAnswer()));
        Assert.True(answer.GetSimulcast().IsNone);
        Assert.True(answer.Rids().IsEmpty);
        var first = state.Transceivers[0].Encodings[0].Ssrc.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(answer.AttributeValues("ssrc"), v => v.ToString().StartsWith(first + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void SetSendEncodingsRejectsBadLayers()
    {
        var withTrack = Run(New(), new Input.AddTrack("cam", "stream", MediaKind.Video)).State;
        Assert.IsType<RtcError.Type>(Error(withTrack, new Input.SetSendEncodings(0, ["q", "no space"])));
        Assert.IsType<RtcError.Type>(Error(withTrack, new Input.SetSendEncodings(0, ["q", new string('x', 17)])));
        Assert.IsType<RtcError.Type>(Error(withTrack, new Input.SetSendEncodings(0, ["q", ""])));
        Assert.IsType<RtcError.InvalidAccess>(Error(withTrack, new Input.SetSendEncodings(0, ["q", "q"])));
        Assert.IsType<RtcError.Range>(Error(withTrack, new Input.SetSendEncodings(0, Enumerable.Range(0, 9).Select(i => $"r{i}").ToArray())));
        Assert.IsType<RtcError.InvalidAccess>(Error(withTrack, new Input.SetSendEncodings(5, ["q", "h"])));
        var noTrack = Run(New(), new Input.AddTransceiver(MediaKind.Video, Direction.SendRecv)).State;
        Assert.IsType<RtcError.InvalidState>(Error(noTrack, new Input.SetSendEncodings(0, ["q", "h"])));
        var stopped = Run(withTrack, new Input.StopTransceiver(0)).State;
        Assert.IsType<RtcError.InvalidState>(Error(stopped, new Input.SetSendEncodings(0, ["q", "h"])));
        // Layers kept across a change keep their SSRCs; the first is always the transceiver's own.
        var two = Run(withTrack, new Input.SetSendEncodings(0, ["q", "h", "f"])).State;
        var again = Run(two, new Input.SetSendEncodings(0, ["q", "f"])).State;
        Assert.Equal(two.Transceivers[0].Encodings[2], again.Transceivers[0].Encodings[1]);
        Assert.Equal(withTrack.Transceivers[0].Ssrc, again.Transceivers[0].Encodings[0].Ssrc);
    }

    [Fact]
    public void SetSendEncodingsIsAnEventLogLine()
    {
        Input input = new Input.SetSendEncodings(3, ["q", "h"]);
        var json = input.ToJson();
        Assert.Contains("\"set-send-encodings\"", json);
        Assert.Equal(input, Input.FromJson(json));
        Assert.NotEqual(input, new Input.SetSendEncodings(3, ["q"]));
        Input add = new Input.AddTransceiver(MediaKind.Video, Direction.SendOnly, "cam", "s");
        Assert.Equal(add, Input.FromJson(add.ToJson()));
        Assert.Equal(new Input.AddTransceiver(MediaKind.Audio, Direction.RecvOnly), Input.FromJson(new Input.AddTransceiver(MediaKind.Audio, Direction.RecvOnly).ToJson()));
    }

    [Fact]
    public void AddTransceiverWithATrackAlwaysMakesANewSendingTransceiver()
    {
        var state = Run(New(), new Input.AddTransceiver(MediaKind.Video, Direction.RecvOnly)).State;
        state = Run(state, new Input.AddTransceiver(MediaKind.Video, Direction.SendOnly, "cam", "s")).State;
        Assert.Equal(2, state.Transceivers.Count);
        Assert.True(state.Transceivers[0].Sender.IsNone);
        Assert.Equal(new TrackInfo("cam", "s", MediaKind.Video), state.Transceivers[1].Sender);
        Assert.Equal(Direction.SendOnly, state.Transceivers[1].Direction);
        Assert.IsType<RtcError.InvalidAccess>(Error(state, new Input.AddTransceiver(MediaKind.Video, Direction.SendOnly, "cam", "s")));
        var offer = Describe(ref state, new Input.CreateOffer()).TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal("s cam", offer.Media[1].AttributeValue("msid").Map(v => v.ToString()).IfNone(""));
    }
}
