using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.PropertyTests.Sdp;
using Functional.WebRtc.Testing;
using LanguageExt;
using LanguageExt.ClassInstances;

namespace Functional.WebRtc.PropertyTests.Signaling;

/// <summary>
/// The fast paths of negotiation give what the plain readings give: the one-pass codec scan and the typed attribute
/// reading, the engine's indexed codec match and MediaEngine.Matches, the fmtp parameter reader and the fmtp map, and a
/// written description's kept model and the parse of its text.
/// </summary>
public class NegotiationFastPathProperties
{
    private static readonly string[] Names = ["VP8", "vp8", "VP9", "H264", "h264", "AV1", "rtx", "opus", "G722", "PCMU", "red", "x"];
    private static readonly string[] Feedback = ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc", "nack  pli ", "x y z"];
    private static readonly string[] Fmtps =
    [
        "", "apt=96", "apt=96;x=1", " apt = 97 ", "APT=98", "apt=+99", "apt= 100", "apt=1x", "profile-id=2", "profile-id=0;profile-id=2",
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42001F",
        "profile-level-id=4d", "PACKETIZATION-MODE=0;profile-level-id=640c1f", ";;a;=b;c=", "minptime=10;useinbandfec=1",
    ];

    private static Gen<string> Pt => Gen.Frequency((6, Gen.Choose(0, 127).Select(p => p.ToString())), (1, Gen.Elements("*", "096", "128", "", "a", " 97")));

    /// <summary>One attribute line of an RTP section: rtpmap, fmtp, rtcp-fb (valid or not), or something else.</summary>
    private static Gen<SdpAttribute> CodecLine =>
        Gen.OneOf(
            from pt in Pt from name in Gen.Elements(Names) from rate in Gen.Elements("90000", "48000", "8000", "0", "x")
            from ch in Gen.Elements("", "/2", "/1", "/0", "/x")
            from extra in Gen.Elements("", "", " more")
            select new SdpAttribute("rtpmap", $"{pt} {name}/{rate}{ch}{extra}"),
            from pt in Pt from f in Gen.Elements(Fmtps) select new SdpAttribute("fmtp", $"{pt} {f}"),
            from pt in Pt from fb in Gen.Elements(Feedback) select new SdpAttribute("rtcp-fb", $"{pt} {fb}"),
            Gen.Elements(new SdpAttribute("rtcp-fb"), new SdpAttribute("rtpmap"), new SdpAttribute("mid", "0"), new SdpAttribute("fmtp", "")));

    public static Arbitrary<MediaDescription> Sections() =>
        (from kind in Gen.Elements("audio", "video")
         from formats in SdpGenerators.ArrayOf(Pt, 0, 8)
         from lines in SdpGenerators.ArrayOf(CodecLine, 0, 30)
         select new MediaDescription(kind, 9, "UDP/TLS/RTP/SAVPF", formats.Where(f => f.Length > 0 && !f.Contains(' ')).ToArray())
         {
             Attributes = Arr.create(lines),
         }).ToArbitrary();

    private static Either<string, Arr<RtpCodec>> Run(Func<Arr<RtpCodec>> f)
    {
        try { return f(); }
        catch (Exception e) { return e.GetType().Name; }
    }

    /// <summary>Jsep.Codecs (the scan, or its fallback) equals the typed reading, throwing included.</summary>
    [Property(MaxTest = 400, Arbitrary = [typeof(NegotiationFastPathProperties)])]
    public bool CodecScanEqualsTypedReading(MediaDescription m)
    {
        var kind = m.Media == "audio" ? MediaKind.Audio : MediaKind.Video;
        var fast = Run(() => Jsep.Codecs(m, kind));
        var reference = Run(() => Jsep.CodecsByTypedAttributes(m, kind));
        return fast == reference;
    }

    public static Arbitrary<(string Name, int Clock, int Channels, string Fmtp, bool Audio)> Codecs() =>
        (from name in Gen.Elements(Names)
         from clock in Gen.Elements(90000, 48000, 8000)
         from channels in Gen.Elements(0, 1, 2)
         from fmtp in Gen.Elements(Fmtps)
         from audio in ArbMap.Default.GeneratorFor<bool>()
         select (name, clock, channels, fmtp, audio)).ToArbitrary();

    /// <summary>The indexed match is the first of our codecs (not RTX) that MediaEngine.Matches accepts.</summary>
    [Property(MaxTest = 400, Arbitrary = [typeof(NegotiationFastPathProperties)])]
    public bool EngineMatchEqualsMatches((string Name, int Clock, int Channels, string Fmtp, bool Audio) c)
    {
        var kind = c.Audio ? MediaKind.Audio : MediaKind.Video;
        var engine = MediaEngine.Default;
        var reference = engine.Codecs.Filter(x => x.Kind == kind).Find(x => !x.IsRtx && MediaEngine.Matches(x, c.Name, c.Clock, c.Channels, c.Fmtp));
        return engine.Match(kind, c.Name, c.Clock, c.Channels, c.Fmtp) == reference;
    }

    /// <summary>The fmtp reader finds what the fmtp map finds; apt parses as before (int.TryParse of the map's value).</summary>
    [Property(MaxTest = 400, Arbitrary = [typeof(NegotiationFastPathProperties)])]
    public bool FmtpParameterEqualsMap((string Name, int Clock, int Channels, string Fmtp, bool Audio) c)
    {
        var map = RtpCodec.FmtpMap(c.Fmtp);
        var codec = new RtpCodec(MediaKind.Video, "video/rtx", 90000, 0, c.Fmtp, 97, Arr<Functional.WebRtc.Core.Signaling.RtcpFeedback>.Empty);
        var apt = map.Find("apt").Bind(v => int.TryParse(v, out var n) ? Option<int>.Some(n) : Option<int>.None);
        return new[] { "apt", "profile-id", "packetization-mode", "profile-level-id", "x", "a", "" }.All(name =>
                   (RtpCodec.FmtpParameter(c.Fmtp, name, out var v) ? Option<string>.Some(v.ToString()) : Option<string>.None) == map.Find(name))
               && codec.Apt == apt;
    }

    /// <summary>A model with attributes the text cannot carry as they are: line breaks, trailing blanks, empty names, ':' in names.</summary>
    public static Arbitrary<SdpDescription> Models() => ModelGen.ToArbitrary();

    /// <summary>Generated descriptions, half of them reduced to the fields JSEP writes (so the check has something to accept).</summary>
    private static Gen<SdpDescription> Described =>
        Gen.OneOf(SdpGenerators.Description, SdpGenerators.Description.Select(JsepShaped));

    private static SdpDescription JsepShaped(SdpDescription d) => d with
    {
        Version = 0, Information = None, Uri = None, Emails = default, Phones = default, Connection = Option<ConnectionData>.None, Bandwidths = default,
        Timings = Arr.create(new Timing(0, 0)), ZoneAdjustments = None, EncryptionKey = None,
        Media = d.Media.Map(m => m with { PortCount = Option<int>.None, Information = None, Bandwidths = default, EncryptionKey = None }),
    };

    private static readonly Option<SdpText> None = Option<SdpText>.None;

    private static Gen<SdpDescription> ModelGen =>
        Gen.OneOf(
            Described,
            from d in Described
            from name in Gen.Elements("a", "b c", "x:y", "", "t\t", "ok ")
            from value in Gen.Elements("v", "v ", "v\t", "a\r\nb", "\n", "x\ry", "", " lead")
            from property in ArbMap.Default.GeneratorFor<bool>()
            select d.WithAttribute(property ? new SdpAttribute(name) : new SdpAttribute(name, value))
                    .MapMedia(m => m.WithAttribute(new SdpAttribute("msid", "s " + value))));

    /// <summary>The generator gives the check both kinds of model, so the property below can fail.</summary>
    [Xunit.Fact]
    public void GeneratedModelsAreBothAcceptedAndRejected()
    {
        // About 1 in 15 is accepted (any tab or other control character in a field is declined): none in 300 would
        // mean the property below tests nothing.
        var sample = ModelGen.Sample(300, 30);
        var accepted = sample.Count(m => SdpRoundTrip.ParsesBackTo(m, SdpWriter.Write(m)));
        Xunit.Assert.InRange(accepted, 1, 299);
    }

    /// <summary>Whenever the round-trip check accepts a model, parsing its text gives that model back.</summary>
    [Property(MaxTest = 400, Arbitrary = [typeof(NegotiationFastPathProperties)])]
    public bool RoundTripCheckIsSound(SdpDescription model)
    {
        var text = SdpWriter.Write(model);
        if (!SdpRoundTrip.ParsesBackTo(model, text)) return true;
        return SdpParser.Parse(text).Match(parsed => parsed == model, _ => false);
    }

    /// <summary>Offers and answers with odd track and stream ids: the description's parse is the parse of its text.</summary>
    [Property(MaxTest = 100)]
    public bool WrittenDescriptionsReadAsTheirText(NonNegativeInt seed, bool video)
    {
        string[] ids = ["t", "a b", "x\ty", "trail ", "nl\r\nx", "", "ü", "c:d"];
        var n = seed.Get;
        var config = PeerConfig.Default("sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32)));
        var a = PeerMachine.Create(config, (ulong)n);
        a = PeerMachine.Handle(a, new PeerInput.AddTrack(ids[n % ids.Length], ids[(n / 8) % ids.Length], video ? MediaKind.Video : MediaKind.Audio)).State;
        a = PeerMachine.Handle(a, new PeerInput.CreateDataChannel("dc")).State;
        var offer = PeerMachine.Handle(a, new PeerInput.CreateOffer());
        var offerDesc = offer.Outputs.OfType<PeerOutput.Completed>().Single().Description!;
        var b = PeerMachine.Create(config with { Cname = ids[(n / 3) % ids.Length] }, (ulong)n + 1);
        b = PeerMachine.Handle(b, new PeerInput.AddTrack("bt", "bs", video ? MediaKind.Video : MediaKind.Audio)).State;
        var remote = PeerMachine.Handle(b, new PeerInput.SetRemoteDescription(SessionDescription.Offer(offerDesc.Sdp)));
        var descriptions = new List<SessionDescription> { offerDesc };
        if (!remote.Outputs.Exists(o => o is PeerOutput.Failed))
            descriptions.AddRange(PeerMachine.Handle(remote.State, new PeerInput.CreateAnswer()).Outputs.OfType<PeerOutput.Completed>().Select(c => c.Description!));
        return descriptions.All(d => d.TryUnmarshal() == SdpParser.Parse(d.Sdp));
    }
}
