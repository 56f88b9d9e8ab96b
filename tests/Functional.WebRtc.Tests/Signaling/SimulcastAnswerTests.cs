using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;
using Input = Functional.WebRtc.Core.PeerConnection.PeerInput;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.Tests.Signaling;

/// <summary>The answer to a simulcast offer (RFC 8853, RFC 8851, JSEP 5.3.1), as Chromium makes one with three sendEncodings.</summary>
public class SimulcastAnswerTests
{
    private const string Fingerprint = "sha-256 11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF";

    /// <summary>Chromium's offer for addTransceiver('video', { sendEncodings: [q, h, f] }): rids, no a=ssrc, a=simulcast:send.</summary>
    internal const string ChromiumSimulcastOffer =
        "v=0\r\n" +
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS\r\n" +
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:pxDR\r\n" +
        "a=ice-pwd:yjiYXTEx0HFFcIEb/n3C3kxe\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 F3:1C:EC:B9:20:48:C0:D8:F3:10:DC:2D:9A:02:94:8F:C8:6D:43:CE:51:1B:64:11:7B:82:85:7A:7A:47:8B:60\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n" +
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:- 80d20c57-57a5-4005-a307-0b67c46cc3fb\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtpmap:96 VP8/90000\r\n" +
        "a=rtcp-fb:96 goog-remb\r\n" +
        "a=rtcp-fb:96 transport-cc\r\n" +
        "a=rtcp-fb:96 ccm fir\r\n" +
        "a=rtcp-fb:96 nack\r\n" +
        "a=rtcp-fb:96 nack pli\r\n" +
        "a=rtpmap:97 rtx/90000\r\n" +
        "a=fmtp:97 apt=96\r\n" +
        "a=rtpmap:98 VP9/90000\r\n" +
        "a=fmtp:98 profile-id=0\r\n" +
        "a=rid:q send\r\n" +
        "a=rid:h send\r\n" +
        "a=rid:f send\r\n" +
        "a=simulcast:send q;h;~f\r\n";

    private static (PeerState State, Seq<Output> Outputs) Run(PeerState state, Input input)
    {
        var step = PeerMachine.Handle(state, input);
        Assert.Empty(step.Outputs.OfType<Output.Failed>());
        return (step.State, step.Outputs);
    }

    private static MediaDescription AnswerTo(string offer)
    {
        var state = PeerMachine.Create(PeerConfig.Default(Fingerprint), 7);
        state = Run(state, new Input.SetRemoteDescription(SessionDescription.Offer(offer))).State;
        var (_, outputs) = Run(state, new Input.CreateAnswer());
        var answer = outputs.OfType<Output.Completed>().Single().Description!;
        var sdp = answer.TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));
        return Assert.Single(sdp.Media);
    }

    [Fact]
    public void AnswerToChromiumSimulcastOfferReceivesEachRidAndKeepsTheRidExtensions()
    {
        var video = AnswerTo(ChromiumSimulcastOffer);
        // RFC 8851 4.2: every rid offered for sending is answered for receiving, with the same id.
        Assert.Equal(new[] { "q recv", "h recv", "f recv" }, video.Rids().Map(r => r.ToString()).ToArray());
        // RFC 8853 5.3: the offer's send streams become the answer's recv streams, in order, the paused one still paused.
        var simulcast = video.GetSimulcast().IfNone(() => throw new Exception("no a=simulcast in the answer"));
        Assert.True(simulcast.Send.IsEmpty);
        Assert.Equal("recv q;h;~f", simulcast.ToString());
        // The rid and repaired-rid extensions keep the offered ids (RFC 8285 6), so the layers can be told apart.
        var extmaps = Jsep.Extmaps(video);
        Assert.Contains((10, MediaEngine.RidUri), extmaps);
        Assert.Contains((11, MediaEngine.RepairedRidUri), extmaps);
        Assert.Contains((4, MediaEngine.MidUri), extmaps);
        Assert.Equal(Direction.RecvOnly, Jsep.DirectionOf(video)); // nothing to send back yet
    }

    [Fact]
    public void RidsNotDeclaredForSendingAreLeftOutAndAnOfferWithoutSimulcastGetsNone()
    {
        var partial = ChromiumSimulcastOffer.Replace("a=rid:h send\r\n", "");
        var video = AnswerTo(partial);
        Assert.Equal(new[] { "q", "f" }, video.Rids().Map(r => r.Id).ToArray());
        Assert.Equal("recv q;~f", video.GetSimulcast().Map(s => s.ToString()).IfNone(""));

        var plain = ChromiumSimulcastOffer.Replace("a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send q;h;~f\r\n", "");
        var single = AnswerTo(plain);
        Assert.True(single.Rids().IsEmpty);
        Assert.True(single.GetSimulcast().IsNone);
    }

    [Fact]
    public void AnAnswerThatDoesNotReceiveDeclaresNoSimulcast()
    {
        var sendonlyAnswer = Jsep.SimulcastAnswer(
            SessionDescription.Offer(ChromiumSimulcastOffer).TryUnmarshal().IfLeft(e => throw new Exception(e.ToString())).Media.Head(), Direction.SendOnly);
        Assert.True(sendonlyAnswer.IsEmpty);
    }
}
