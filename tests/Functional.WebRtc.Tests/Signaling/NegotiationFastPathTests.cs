using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Sdp;
using Input = Functional.WebRtc.Core.PeerConnection.PeerInput;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.Tests.Signaling;

/// <summary>The negotiation fast paths on real browser descriptions: same codecs, same answers, the kept model used.</summary>
public class NegotiationFastPathTests
{
    private const string Fingerprint = "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";

    public static IEnumerable<object[]> Offers => [[SdpCorpus.ChromiumAvOffer], [SdpCorpus.WeriftAvOffer], [SdpCorpus.ChromiumAvAnswer]];
    public static IEnumerable<object[]> BrowserOffers => [[SdpCorpus.ChromiumAvOffer], [SdpCorpus.WeriftAvOffer], [SdpCorpus.ChromiumDataOffer]];

    [Theory]
    [MemberData(nameof(Offers))]
    public void CodecScanReadsBrowserSectionsAsTheTypedReading(string file)
    {
        var sdp = SdpCorpus.Parse(file);
        var rtp = sdp.Media.Filter(Jsep.IsRtp).ToList();
        Assert.NotEmpty(rtp);
        foreach (var m in rtp)
        {
            var kind = Jsep.KindOf(m);
            Assert.True(CodecScan.TryCodecs(m, kind, out var scanned), $"{file}: the scan declined a browser section");
            var typed = Jsep.CodecsByTypedAttributes(m, kind);
            Assert.True(typed.Count > 0);
            Assert.Equal(typed, scanned);
        }
    }

    [Theory]
    [MemberData(nameof(BrowserOffers))]
    public void AnswersToBrowserOffersAreWrittenFromAModelTheirTextParsesBackTo(string file)
    {
        var peer = PeerMachine.Create(PeerConfig.Default(Fingerprint), 7);
        peer = PeerMachine.Handle(peer, new Input.SetRemoteDescription(SessionDescription.Offer(SdpCorpus.Load(file)))).State;
        var offer = ((SessionDescription)peer.RemoteDescription).TryUnmarshal().IfLeft(e => throw new Exception(e.ToString()));
        var model = Jsep.CreateAnswer(new LocalParameters(peer.LocalIce, peer.Config.Fingerprints, "active", peer.Config), offer, peer.Transceivers, 1, 2);
        var text = model.ToString();
        Assert.True(SdpRoundTrip.ParsesBackTo(model, text));
        Assert.Equal(SdpParser.Parse(text), model);
        // And the machine's answer reads as its text.
        var answer = PeerMachine.Handle(peer, new Input.CreateAnswer()).Outputs.OfType<Output.Completed>().Single().Description!;
        Assert.Equal(SdpParser.Parse(answer.Sdp), answer.TryUnmarshal());
    }

    [Fact]
    public void AnOfferThatMapsAPayloadTypeTwiceIsAnsweredWithItsFirstRtpmap()
    {
        // Malformed (RFC 8866 maps each payload type once): before, the typed reading threw from ToDictionary.
        var text = SdpCorpus.Load(SdpCorpus.ChromiumAvOffer);
        var nl = text.Contains("\r\n") ? "\r\n" : "\n";
        var at = text.IndexOf("a=rtpmap:96 VP8/90000" + nl, StringComparison.Ordinal);
        Assert.True(at >= 0, "the corpus offer maps 96 to VP8");
        text = text.Insert(at + ("a=rtpmap:96 VP8/90000" + nl).Length, "a=rtpmap:96 H264/90000" + nl);
        var section = SdpParser.Parse(text).IfLeft(e => throw new Exception(e.ToString())).Media.Filter(Jsep.IsRtp).First(m => m.Media == "video");
        var codecs = Jsep.Codecs(section, MediaKind.Video);
        Assert.Equal("video/VP8", codecs.Find(c => c.PayloadType == 96).Map(c => c.MimeType).IfNone(""));

        var peer = PeerMachine.Create(PeerConfig.Default(Fingerprint), 5);
        peer = PeerMachine.Handle(peer, new Input.SetRemoteDescription(SessionDescription.Offer(text))).State;
        var answer = PeerMachine.Handle(peer, new Input.CreateAnswer()).Outputs.OfType<Output.Completed>().Single().Description!;
        Assert.Contains("a=rtpmap:96 VP8/90000", answer.Sdp);
        Assert.DoesNotContain("H264/90000", answer.Sdp.Split("m=video")[1].Split(nl).Where(l => l.StartsWith("a=rtpmap:96 ")));
    }

    [Fact]
    public void SettingTheCreatedOfferOrAFreshCopyOfItsTextGivesTheSameStep()
    {
        var peer = PeerMachine.Create(PeerConfig.Default(Fingerprint), 3);
        peer = PeerMachine.Handle(peer, new Input.AddTrack("v", "s", MediaKind.Video)).State;
        peer = PeerMachine.Handle(peer, new Input.CreateDataChannel("dc")).State;
        var created = PeerMachine.Handle(peer, new Input.CreateOffer());
        var offer = created.Outputs.OfType<Output.Completed>().Single().Description!;
        var viaObject = PeerMachine.Handle(created.State, new Input.SetLocalDescription(offer));
        var viaCopy = PeerMachine.Handle(created.State, new Input.SetLocalDescription(SessionDescription.Offer(new string(offer.Sdp.AsSpan()))));
        var viaEmpty = PeerMachine.Handle(created.State, new Input.SetLocalDescription(SessionDescription.Offer("")));
        Assert.DoesNotContain(viaObject.Outputs, o => o is Output.Failed);
        Assert.Equal(viaObject.State, viaCopy.State);
        Assert.Equal(viaObject.Outputs, viaCopy.Outputs);
        Assert.Equal(viaObject.State, viaEmpty.State);
        Assert.Equal(viaObject.Outputs, viaEmpty.Outputs);
        Assert.Equal(SignalingState.HaveLocalOffer, viaCopy.State.Signaling);
    }

    [Fact]
    public void AModelWithALineBreakInAFieldIsNotTakenAsItsParse()
    {
        var model = new SdpDescription
        {
            Origin = Origin.Create(1, 2),
            Media = LanguageExt.Arr.create(new MediaDescription("audio", 9, "UDP/TLS/RTP/SAVPF", "111") { Attributes = LanguageExt.Arr.create(new SdpAttribute("msid", "a\r\nb")) }),
        };
        var text = model.ToString();
        Assert.False(SdpRoundTrip.ParsesBackTo(model, text));
        Assert.True(SdpRoundTrip.ParsesBackTo(model with { Media = model.Media.Map(m => m with { Attributes = LanguageExt.Arr.create(new SdpAttribute("msid", "a b")) }) },
            (model with { Media = model.Media.Map(m => m with { Attributes = LanguageExt.Arr.create(new SdpAttribute("msid", "a b")) }) }).ToString()));
    }
}
