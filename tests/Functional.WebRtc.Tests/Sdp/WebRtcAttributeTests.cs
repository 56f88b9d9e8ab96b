using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sdp;

public class WebRtcAttributeTests
{
    private static T Ok<T>(Either<RtcError, T> r) => r.Match(x => x, e => throw new Xunit.Sdk.XunitException(e.ToString()));
    private static string Fails<T>(Either<RtcError, T> r) => r.Match(x => throw new Xunit.Sdk.XunitException($"parsed {x}"), e => Assert.IsType<RtcError.Syntax>(e).Message);

    private static MediaDescription Audio() =>
        new MediaDescription("audio", 9, "UDP/TLS/RTP/SAVPF", "111", "0")
            .WithAttribute("mid", "0")
            .WithAttribute("sendrecv")
            .WithAttribute("rtpmap", "111 opus/48000/2")
            .WithAttribute("rtcp-mux");

    [Fact]
    public void ConstructionIsEasyAndComparesToParsedText()
    {
        var built = new SdpDescription { Origin = Origin.Create(42, 1) }
            .WithAttribute("group", "BUNDLE 0")
            .WithMedia(Audio() with { Connection = ConnectionData.Unspecified });
        const string text = "v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
                            "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-mux\r\n";
        Assert.Equal(text, built.ToString());
        Assert.Equal(built, Ok(SdpParser.Parse(text)));
        Assert.Equal(built.GetHashCode(), Ok(SdpParser.Parse(text)).GetHashCode());
    }

    [Fact]
    public void AttributeHelpersAddRemoveAndSet()
    {
        var m = Audio().WithAttribute("ssrc", "1 cname:a").WithAttribute("ssrc", "1 msid:s t");
        Assert.Equal(2, m.AttributesNamed("ssrc").Count);
        Assert.False(m.WithoutAttribute("ssrc").HasAttribute("ssrc"));
        var set = m.SetAttribute("mid", "audio");
        Assert.Equal("audio", set.Mid());
        Assert.Equal(0, set.Attributes.ToList().FindIndex(a => a.Name == "mid"));
        Assert.Equal("x", m.SetAttribute("new", "x").Attributes.Last().Value);
        Assert.Equal("1", Audio().WithMid("1").Mid());
        Assert.Equal(1, Audio().WithMid("1").AttributesNamed("mid").Count);
        Assert.Equal(new SdpAttribute("mid", "0"), m.Attribute("mid"));
        Assert.Equal("mid:0", new SdpAttribute("mid", "0").ToString());
        Assert.Equal("rtcp-mux", new SdpAttribute("rtcp-mux").ToString());
    }

    [Fact]
    public void DirectionGetterAndSetterReplaceInPlace()
    {
        var m = Audio();
        Assert.Equal(SdpDirection.SendRecv, m.Direction());
        var changed = m.WithDirection(SdpDirection.RecvOnly);
        Assert.Equal(SdpDirection.RecvOnly, changed.Direction());
        Assert.Equal(m.Attributes.Count, changed.Attributes.Count);
        Assert.Equal(new SdpAttribute("recvonly"), changed.Attributes[1]);
        var doubled = m.WithAttribute("inactive").WithDirection(SdpDirection.SendOnly);
        Assert.Single(doubled.Attributes, a => a.Name == "sendonly");
        Assert.DoesNotContain(doubled.Attributes, a => a.Name == "inactive" || a.Name == "sendrecv");
        var none = m.WithoutAttribute("sendrecv");
        Assert.True(none.Direction().IsNone);
        Assert.Equal(SdpDirection.Inactive, none.WithDirection(SdpDirection.Inactive).Direction());
        Assert.Equal(SdpDirection.RecvOnly, SdpDirection.SendOnly.Reverse());
        Assert.True(SdpDirection.SendRecv.Sends() && SdpDirection.SendRecv.Receives());
    }

    [Fact]
    public void Groups()
    {
        var g = Ok(SdpGroup.Parse("BUNDLE 0 1 data"));
        Assert.True(g.IsBundle);
        Assert.Equal(new[] { "0", "1", "data" }, g.Mids.ToArray());
        Assert.Equal("BUNDLE 0 1 data", g.ToString());
        var ls = Ok(SdpGroup.Parse("LS 1 2"));
        Assert.False(ls.IsBundle);
        var d = new SdpDescription().WithGroup(ls).WithGroup(g).WithGroup(new SdpGroup("BUNDLE"));
        Assert.Equal(g, d.BundleGroup());
        Assert.Equal(2, d.BundleGroups().Count);
        Assert.Equal(ls, d.Group("LS"));
        Assert.Empty(Ok(SdpGroup.Parse("BUNDLE")).Mids);
        Assert.Contains("semantics", Fails(SdpGroup.Parse("")));
    }

    [Fact]
    public void IceAttributes()
    {
        var session = new SdpDescription().WithAttribute("ice-lite").WithAttribute("ice-ufrag", "sess").WithAttribute("ice-pwd", "sesspwd")
            .WithAttribute("ice-options", "trickle renomination");
        Assert.True(session.IsIceLite());
        Assert.Equal(new[] { "trickle", "renomination" }, session.IceOptions().ToArray());
        var m = Audio();
        Assert.Equal(("sess", "sesspwd"), session.IceCredentials(m));
        var own = m.WithIceCredentials("mu", "mpwd");
        Assert.Equal(("mu", "mpwd"), session.IceCredentials(own));
        Assert.True(new SdpDescription().IceCredentials(m).IsNone);
        Assert.False(m.HasEndOfCandidates());
        Assert.True(m.WithEndOfCandidates().HasEndOfCandidates());
        var c = Ok(CandidateAttribute.Parse("1 1 udp 1 198.51.100.7 9 typ host"));
        Assert.Equal(c, m.WithCandidate(c).Candidates().Single());
        // A malformed candidate is skipped by the getter and reported by Validate.
        var bad = m.WithAttribute("candidate", "garbage");
        Assert.Empty(bad.Candidates());
        var error = new SdpDescription().WithMedia(bad).Validate().Match(_ => "", e => e.Message);
        Assert.Contains("m= section 1", error);
        Assert.Contains("a=candidate", error);
    }

    [Fact]
    public void Fingerprints()
    {
        var f = Ok(Fingerprint.Parse("sha-256 F3:1C:EC:B9:20:48:C0:D8:F3:10:DC:2D:9A:02:94:8F:C8:6D:43:CE:51:1B:64:11:7B:82:85:7A:7A:47:8B:60"));
        Assert.Equal("sha-256", f.Algorithm);
        Assert.Equal(32, f.Bytes.Count);
        var lower = Ok(Fingerprint.Parse("SHA-256 f3:1c:ec:b9:20:48:c0:d8:f3:10:dc:2d:9a:02:94:8f:c8:6d:43:ce:51:1b:64:11:7b:82:85:7a:7a:47:8b:60"));
        Assert.True(f.Matches(lower));
        Assert.NotEqual(f, lower); // the record keeps the spelling; Matches is the RFC 8122 comparison
        Assert.True(Fingerprint.Matches("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", "SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"));
        Assert.False(Fingerprint.Matches("sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:34"));
        Assert.Equal(f.ToString(), Ok(Fingerprint.Parse(f.ToString())).ToString());
        Assert.Equal("sha-256 F3:1C", f.ToString()[..13]);
        var sha512 = new Fingerprint("sha-512", Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        Assert.Equal(sha512, Ok(Fingerprint.Parse(sha512.ToString())));
        var sha384 = new Fingerprint("sha-384", new byte[48]);
        Assert.Equal(sha384, Ok(Fingerprint.Parse(sha384.ToString())));
        Assert.Contains("32 bytes", Fails(Fingerprint.Parse("sha-256 AB:CD")));
        Assert.Contains("non-hex", Fails(Fingerprint.Parse("sha-1 ZZ:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33")));
        Assert.Contains("separated", Fails(Fingerprint.Parse("sha-1 00-11")));
        Assert.Contains("missing fingerprint", Fails(Fingerprint.Parse("sha-256")));
        Assert.Equal(f, Audio().WithFingerprint(f).Fingerprints().Single());
        var session = new SdpDescription().WithAttribute(f.ToAttribute());
        Assert.Equal(f, session.EffectiveFingerprints(Audio()).Single());
    }

    [Fact]
    public void Setup()
    {
        foreach (var s in new[] { SdpSetup.ActPass, SdpSetup.Active, SdpSetup.Passive, SdpSetup.HoldConn })
            Assert.Equal(s, Ok(SdpEnums.ParseSetup(s.ToSdp())));
        Assert.Equal(SdpSetup.Passive, Audio().WithSetup(SdpSetup.Passive).Setup());
        Assert.Equal(SdpSetup.Active, Audio().WithSetup(SdpSetup.Passive).WithSetup(SdpSetup.Active).Setup());
        Assert.True(Audio().WithAttribute("setup", "sideways").Setup().IsNone);
        Assert.Contains("actpass", Fails(SdpEnums.ParseSetup("sideways")));
        var session = new SdpDescription().WithAttribute("setup", "active");
        Assert.Equal(SdpSetup.Active, session.EffectiveSetup(Audio()));
    }

    [Fact]
    public void RtpMapFmtpAndFeedback()
    {
        Assert.Equal(new RtpMap(111, "opus", 48000, 2), Ok(RtpMap.Parse("111 opus/48000/2")));
        Assert.Equal(new RtpMap(0, "PCMU", 8000), Ok(RtpMap.Parse("0 PCMU/8000")));
        Assert.Equal("111 opus/48000/2", new RtpMap(111, "opus", 48000, 2).ToString());
        Assert.Contains("payload type", Fails(RtpMap.Parse("128 x/1")));
        Assert.Contains("clock rate", Fails(RtpMap.Parse("96 VP8/fast")));
        Assert.Contains("encoding", Fails(RtpMap.Parse("96 VP8")));

        var fmtp = Ok(Fmtp.Parse("102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"));
        Assert.Equal(102, fmtp.PayloadType);
        Assert.Equal(new[] { "level-asymmetry-allowed", "packetization-mode", "profile-level-id" }, fmtp.Parameters.Map(p => p.Name).ToArray());
        Assert.Equal("42001f", fmtp.Get("PROFILE-LEVEL-ID"));
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", fmtp.Raw);
        var dtmf = Ok(Fmtp.Parse("101 0-15"));
        Assert.Equal(new SdpParameter("0-15", Option<string>.None), dtmf.Parameters.Single());
        Assert.Equal("63 111/111", Ok(Fmtp.Parse("63 111/111")).ToString());
        Assert.Equal("111 minptime=10;useinbandfec=1", Fmtp.Create(111, ("minptime", "10"), ("useinbandfec", "1")).ToString());
        Assert.Contains("payload type", Fails(Fmtp.Parse("x a=b")));

        Assert.Equal(new RtcpFeedback("96", "nack", "pli"), Ok(RtcpFeedback.Parse("96 nack pli")));
        Assert.Equal(new RtcpFeedback("*", "trr-int", "100"), Ok(RtcpFeedback.Parse("* trr-int 100")));
        Assert.True(Ok(RtcpFeedback.Parse("* nack")).IsWildcard);
        Assert.Equal(96, RtcpFeedback.For(96, "transport-cc").PayloadTypeNumber);
        Assert.Equal("96 ccm fir", RtcpFeedback.For(96, "ccm", "fir").ToString());
        Assert.Contains("payload type", Fails(RtcpFeedback.Parse("x nack")));
        var m = Audio().WithAttribute("rtcp-fb", "* nack").WithAttribute("rtcp-fb", "111 transport-cc").WithAttribute("rtcp-fb", "0 goog-remb");
        Assert.Equal(2, m.RtcpFeedbacksFor(111).Count);
        Assert.Equal(new RtpMap(111, "opus", 48000, 2), m.RtpMapFor(111));
        Assert.True(m.RtpMapFor(0).IsNone);
    }

    [Fact]
    public void RtcpAndMux()
    {
        Assert.Equal(new RtcpAttribute(9, ConnectionData.Unspecified), Ok(RtcpAttribute.Parse("9 IN IP4 0.0.0.0")));
        Assert.Equal(new RtcpAttribute(53020), Ok(RtcpAttribute.Parse("53020")));
        Assert.Equal("9 IN IP4 0.0.0.0", new RtcpAttribute(9, ConnectionData.Unspecified).ToString());
        Assert.Contains("port", Fails(RtcpAttribute.Parse("x")));
        Assert.Contains("expected", Fails(RtcpAttribute.Parse("9 IN IP4")));
        var m = Audio().WithAttribute("rtcp-mux-only").WithAttribute("rtcp-rsize");
        Assert.True(m.HasRtcpMux() && m.HasRtcpMuxOnly() && m.HasRtcpRsize());
    }

    [Fact]
    public void ExtMaps()
    {
        Assert.Equal(new ExtMap(3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
            Ok(ExtMap.Parse("3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")));
        var withDir = Ok(ExtMap.Parse("2/sendonly urn:ietf:params:rtp-hdrext:toffset attr1 attr2"));
        Assert.Equal(SdpDirection.SendOnly, withDir.Direction);
        Assert.Equal("attr1 attr2", withDir.Attributes);
        Assert.Equal("2/sendonly urn:ietf:params:rtp-hdrext:toffset attr1 attr2", withDir.ToString());
        Assert.Contains("id", Fails(ExtMap.Parse("0 urn:x")));
        Assert.Contains("direction", Fails(ExtMap.Parse("1/both urn:x")));
        Assert.Contains("URI", Fails(ExtMap.Parse("1")));
        var session = new SdpDescription().WithAttribute("extmap-allow-mixed").WithAttribute("extmap", "5 urn:x");
        Assert.True(session.HasExtmapAllowMixed());
        Assert.Equal(5, session.ExtMaps().Single().Id);
    }

    [Fact]
    public void MsidSsrcAndGroups()
    {
        Assert.Equal(new Msid("stream", "track"), Ok(Msid.Parse("stream track")));
        Assert.Equal(new Msid("-", Option<string>.None), Ok(Msid.Parse("-")));
        Assert.Contains("more than two", Fails(Msid.Parse("a b c")));
        Assert.Equal(new MsidSemantic("WMS", Arr<string>.Empty), Ok(MsidSemantic.Parse(" WMS")));
        Assert.Equal("WMS s1 s2", Ok(MsidSemantic.Parse("WMS s1 s2")).ToString());

        var cname = Ok(SsrcAttribute.Parse("2972308209 cname:G8PsPIya3iKmSHhB"));
        Assert.Equal(new SsrcAttribute(2972308209u, "cname", "G8PsPIya3iKmSHhB"), cname);
        var msid = Ok(SsrcAttribute.Parse("1 msid:stream track"));
        Assert.Equal("stream track", msid.Value);
        Assert.Equal("1 msid:stream track", msid.ToString());
        Assert.Equal(new SsrcAttribute(5, "x-flag"), Ok(SsrcAttribute.Parse("5 x-flag")));
        Assert.Contains("ssrc", Fails(SsrcAttribute.Parse("4294967296 cname:x")));
        Assert.Contains("source attribute", Fails(SsrcAttribute.Parse("5")));

        Assert.Equal(new SsrcGroup("FID", 1u, 2u), Ok(SsrcGroup.Parse("FID 1 2")));
        Assert.Equal("SIM 1 2 3", new SsrcGroup("SIM", 1u, 2u, 3u).ToString());
        Assert.Contains("ssrc", Fails(SsrcGroup.Parse("FID 1 x")));
    }

    [Fact]
    public void RidAndSimulcast()
    {
        var rid = Ok(Rid.Parse("hi send pt=96,97;max-width=1280;max-height=720"));
        Assert.Equal("hi", rid.Id);
        Assert.Equal(RidDirection.Send, rid.Direction);
        Assert.Equal(new[] { 96, 97 }, rid.PayloadTypes.ToArray());
        Assert.Equal("1280", rid.Parameters.Find(p => p.Name == "max-width").Bind(p => p.Value));
        Assert.Equal("hi send pt=96,97;max-width=1280;max-height=720", rid.ToString());
        Assert.Equal(new Rid("lo", RidDirection.Recv), Ok(Rid.Parse("lo recv")));
        Assert.Contains("direction", Fails(Rid.Parse("hi both")));
        Assert.Contains("rid id", Fails(Rid.Parse("h!i send")));

        var sim = Ok(Simulcast.Parse("send hi;~mid,alt;lo recv r0"));
        Assert.Equal(3, sim.Send.Count);
        Assert.Equal(new SimulcastRid("mid", true), sim.Send[1][0]);
        Assert.Equal(new SimulcastRid("alt"), sim.Send[1][1]);
        Assert.Equal("r0", sim.Receive.Single().Single().Id);
        Assert.Equal("send hi;~mid,alt;lo recv r0", sim.ToString());
        Assert.Equal("send a;b recv c", Ok(Simulcast.Parse("recv c send a;b")).ToString());
        Assert.Contains("no stream list", Fails(Simulcast.Parse("")));
        Assert.Contains("stream list", Fails(Simulcast.Parse("send")));
        Assert.Contains("at most once", Fails(Simulcast.Parse("send a send b")));
        Assert.Contains("invalid stream list", Fails(Simulcast.Parse("send a;;b")));
        var m = Audio().WithAttribute(rid.ToAttribute()).WithAttribute(sim.ToAttribute());
        Assert.Equal(rid, m.Rids().Single());
        Assert.Equal(sim, m.GetSimulcast());
    }

    [Fact]
    public void SctpAttributes()
    {
        var m = new MediaDescription("application", 9, "UDP/DTLS/SCTP", "webrtc-datachannel")
            .WithAttribute("sctp-port", "5000").WithAttribute("max-message-size", "262144");
        Assert.Equal(5000, m.SctpPort());
        Assert.Equal(262144UL, m.MaxMessageSize());
        Assert.True(m.SetAttribute("sctp-port", "huge").SctpPort().IsNone);
        var legacy = new MediaDescription("application", 9, "DTLS/SCTP", "5000").WithAttribute("sctpmap", "5000 webrtc-datachannel 1024");
        Assert.Equal(new SctpMap(5000, "webrtc-datachannel", 1024), legacy.GetSctpMap());
        Assert.Equal("5000 webrtc-datachannel 1024", new SctpMap(5000, "webrtc-datachannel", 1024).ToString());
        Assert.Contains("port", Fails(SctpMap.Parse("x webrtc-datachannel")));
        var error = new SdpDescription().WithMedia(m.SetAttribute("sctp-port", "huge")).Validate().Match(_ => "", e => e.Message);
        Assert.Contains("sctp-port", error);
    }

    [Fact]
    public void ValidateAcceptsUnknownAttributesAndRejectsMissingValues()
    {
        var ok = new SdpDescription().WithMedia(Audio().WithAttribute("x-unknown", "anything").WithAttribute("x-flag"));
        Assert.True(ok.Validate().IsRight);
        Assert.True(new SdpDescription().WithMedia(Audio().WithAttribute("rtpmap")).Validate().IsLeft);
        Assert.True(new SdpDescription().WithMedia(Audio().WithAttribute("mid", "")).Validate().IsLeft);
    }
}
