using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sdp;

public class SdpParserTests
{
    private const string Minimal = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    [Theory]
    [MemberData(nameof(SdpCorpus.Files), MemberType = typeof(SdpCorpus))]
    public void CorpusParsesAndValidates(string file)
    {
        var d = SdpCorpus.Parse(file);
        Assert.True(d.Validate().IsRight, d.Validate().Match(_ => "", e => e.Message));
        Assert.NotEmpty(d.Media);
        Assert.All(d.Media, m => Assert.True(m.Mid().IsSome));
        Assert.True(d.BundleGroup().IsSome);
    }

    [Theory]
    [MemberData(nameof(SdpCorpus.Files), MemberType = typeof(SdpCorpus))]
    public void CorpusRoundTripsThroughTheModel(string file)
    {
        var d = SdpCorpus.Parse(file);
        var printed = SdpWriter.Write(d);
        var again = SdpParser.Parse(printed);
        Assert.Equal(d, again.IfLeft(_ => null!));
        Assert.Equal(printed, again.Map(SdpWriter.Write).IfLeft(""));
    }

    [Theory]
    [MemberData(nameof(SdpCorpus.Files), MemberType = typeof(SdpCorpus))]
    public void CanonicalCorpusTextPrintsBackExactly(string file)
    {
        // Chromium and werift write the RFC 8866 line order with CRLF, so the text comes back byte for byte.
        var text = SdpCorpus.Load(file);
        Assert.Equal(text, SdpCorpus.Parse(file).ToString());
    }

    [Fact]
    public void ChromiumAudioVideoDataOffer()
    {
        var d = SdpCorpus.Parse(SdpCorpus.ChromiumAvOffer);
        Assert.Equal(6462869854546864604UL, d.Origin.SessionId);
        Assert.Equal(2UL, d.Origin.SessionVersion);
        Assert.Equal("127.0.0.1", d.Origin.Address);
        Assert.Equal("-", d.SessionName);
        Assert.Equal(new Timing(0, 0), d.Timings.Single());
        Assert.Equal(new SdpGroup("BUNDLE", "0", "1", "2"), d.BundleGroup());
        Assert.True(d.HasExtmapAllowMixed());
        Assert.Equal("WMS", d.MsidSemantics().Single().Semantic);

        Assert.Equal(new[] { "audio", "video", "application" }, d.Media.Map(m => m.Media.ToString()).ToArray());
        Assert.Equal(new[] { "0", "1", "2" }, d.Media.Map(m => m.Mid().IfNone("")).ToArray());
        var audio = d.Media[0];
        Assert.Equal(38375, audio.Port);
        Assert.Equal("UDP/TLS/RTP/SAVPF", audio.Protocol);
        Assert.Equal(new[] { 111, 63, 9, 0, 8, 13, 110, 126 }, audio.PayloadTypes().ToArray());
        Assert.Equal(new RtpMap(111, "opus", 48000, 2), audio.RtpMapFor(111));
        Assert.Equal(Option<int>.None, audio.RtpMapFor(0).Bind(r => r.Channels));
        Assert.Equal("1", audio.FmtpFor(111).Bind(f => f.Get("useinbandfec")));
        Assert.Equal(ConnectionData.Ip4("127.0.0.1"), audio.Connection);
        Assert.Equal(new RtcpAttribute(9, ConnectionData.Unspecified), audio.Rtcp());
        Assert.True(audio.HasRtcpMux());
        Assert.True(audio.HasRtcpRsize());
        Assert.False(audio.HasRtcpMuxOnly());
        Assert.Equal(SdpDirection.SendRecv, audio.Direction());
        Assert.Equal(SdpSetup.ActPass, audio.Setup());
        Assert.Equal("pxDR", audio.IceUfrag());
        Assert.Equal("yjiYXTEx0HFFcIEb/n3C3kxe", audio.IcePwd());
        Assert.Equal(new[] { "trickle" }, audio.IceOptions().ToArray());
        Assert.Equal(("pxDR", "yjiYXTEx0HFFcIEb/n3C3kxe"), d.IceCredentials(audio));
        var fp = audio.Fingerprints().Single();
        Assert.Equal("sha-256", fp.Algorithm);
        Assert.Equal(32, fp.Bytes.Count);
        Assert.Equal(0xF3, fp.Bytes[0]);
        Assert.Equal(0x60, fp.Bytes[31]);
        Assert.Equal(4, audio.ExtMaps().Count);
        Assert.Equal(new ExtMap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), audio.ExtMaps().Head);
        Assert.Equal(new Msid("a2751b60-689b-4ae8-ab65-5f7628a33f4e", "a978ede6-9083-4aea-bb1c-cd044acd7d81"), audio.Msids().Single());
        Assert.Equal(new[] { 2972308209u }, audio.SsrcIds().ToArray());

        var candidates = audio.Candidates();
        Assert.Equal(2, candidates.Count);
        Assert.Equal(CandidateType.Host, candidates[0].Type);
        Assert.True(candidates[0].IsUdp);
        Assert.Equal(("127.0.0.1", 38375), (candidates[0].Address, candidates[0].Port));
        Assert.Equal(2122260223u, candidates[0].Priority);
        Assert.Equal(50u, candidates[0].NetworkCost);
        Assert.Equal(CandidateTcpType.Active, candidates[1].TcpType);
        Assert.Equal(9, candidates[1].Port);

        var video = d.Media[1];
        Assert.Equal(23, video.Formats.Count);
        Assert.Equal(new RtpMap(96, "VP8", 90000), video.RtpMapFor(96));
        Assert.Equal("96", video.FmtpFor(97).Bind(f => f.Get("apt")));
        Assert.Equal("42e01f", video.FmtpFor(108).Bind(f => f.Get("profile-level-id")));
        Assert.Contains(new RtcpFeedback("96", "nack", "pli"), video.RtcpFeedbacksFor(96));
        Assert.Contains(new RtcpFeedback("96", "ccm", "fir"), video.RtcpFeedbacksFor(96));
        Assert.Equal(5, video.RtcpFeedbacksFor(96).Count);
        Assert.Equal(new SsrcGroup("FID", 3833016318u, 3387770312u), video.SsrcGroups().Single());
        Assert.Equal("G8PsPIya3iKmSHhB", video.Ssrcs().Find(s => s.Attribute == "cname").Bind(s => s.Value));
        Assert.Equal(11, video.ExtMaps().Count);

        var data = d.Media[2];
        Assert.Equal("UDP/DTLS/SCTP", data.Protocol);
        Assert.Equal(new[] { "webrtc-datachannel" }, data.Formats.Map(f => f.ToString()).ToArray());
        Assert.Equal(5000, data.SctpPort());
        Assert.Equal(262144UL, data.MaxMessageSize());
        Assert.True(d.MediaByMid("2").IsSome);
        Assert.Equal(2, d.MediaIndexByMid("2"));
    }

    [Fact]
    public void ChromiumAnswer()
    {
        var offer = SdpCorpus.Parse(SdpCorpus.ChromiumAvOffer);
        var answer = SdpCorpus.Parse(SdpCorpus.ChromiumAvAnswer);
        Assert.Equal(new SdpGroup("BUNDLE", "0", "1", "2"), answer.BundleGroup());
        Assert.All(answer.Media, m => Assert.Equal(SdpSetup.Active, m.Setup()));
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[0].Direction());
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[1].Direction());
        Assert.Equal(9, answer.Media[1].Port);
        Assert.Empty(answer.Media[1].Candidates());
        Assert.Single(answer.Media[0].Candidates());
        Assert.Equal(5000, answer.Media[2].SctpPort());
        Assert.False(offer.Media[0].Fingerprints().Single().Matches(answer.Media[0].Fingerprints().Single()));
        Assert.Equal(offer.Media[0].PayloadTypes(), answer.Media[0].PayloadTypes());
    }

    [Fact]
    public void ChromiumDataChannelOfferAndAnswer()
    {
        var offer = SdpCorpus.Parse(SdpCorpus.ChromiumDataOffer);
        var answer = SdpCorpus.Parse(SdpCorpus.ChromiumDataAnswer);
        foreach (var d in new[] { offer, answer })
        {
            var m = Assert.Single(d.Media);
            Assert.Equal("application", m.Media);
            Assert.Equal("UDP/DTLS/SCTP", m.Protocol);
            Assert.Equal(5000, m.SctpPort());
            Assert.Equal(262144UL, m.MaxMessageSize());
            Assert.Equal("0", m.Mid());
            Assert.Equal(new SdpGroup("BUNDLE", "0"), d.BundleGroup());
        }
        Assert.Equal(SdpSetup.ActPass, offer.Media[0].Setup());
        Assert.Equal(SdpSetup.Active, answer.Media[0].Setup());
        Assert.Equal("aBX0", offer.Media[0].IceUfrag());
        Assert.Equal("+OaY", answer.Media[0].IceUfrag());
    }

    [Fact]
    public void WeriftOffers()
    {
        var av = SdpCorpus.Parse(SdpCorpus.WeriftAvOffer);
        Assert.Equal(new MsidSemantic("WMS", Arr.create("*")), av.MsidSemantics().Single());
        Assert.Equal(new RtpMap(96, "OPUS", 48000, 2), av.Media[0].RtpMapFor(96));
        Assert.Equal(new RtpMap(98, "VP8", 90000), av.Media[1].RtpMapFor(98));
        Assert.All(av.Media, m => Assert.True(m.HasEndOfCandidates()));
        var c = av.Media[0].Candidates().Single();
        Assert.Equal("626da4e5384a0ce2d0d93678a", c.Foundation);
        Assert.Equal("847a", c.Ufrag);
        Assert.Equal(0u, c.Generation);
        Assert.Equal(65536UL, av.Media[2].MaxMessageSize());
        var data = SdpCorpus.Parse(SdpCorpus.WeriftDataOffer);
        Assert.Equal("0.0.0.0", data.Origin.Address);
        Assert.Equal(9, data.Media[0].Port);
        Assert.Equal("501f", data.Media[0].IceUfrag());
    }

    [Fact]
    public void AcceptsLfAndTrailingWhitespace()
    {
        var crlf = SdpCorpus.Load(SdpCorpus.ChromiumDataOffer);
        var lf = crlf.Replace("\r\n", "\n");
        var spaced = crlf.Replace("\r\n", " \t\r\n");
        var expected = SdpCorpus.Parse(SdpCorpus.ChromiumDataOffer);
        Assert.Equal(expected, SdpParser.Parse(lf).IfLeft(_ => null!));
        Assert.Equal(expected, SdpParser.Parse(spaced).IfLeft(_ => null!));
        Assert.Equal(expected, SdpParser.Parse(lf.TrimEnd('\n')).IfLeft(_ => null!));
        Assert.Equal(crlf, SdpParser.Parse(lf).Map(d => d.ToString()).IfLeft(""));
    }

    [Fact]
    public void MinimalSessionAndOptionalFields()
    {
        const string text =
            "v=0\r\no=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\ns=SDP Seminar\r\ni=A Seminar on the session description protocol\r\n" +
            "u=http://www.example.com/seminars/sdp.pdf\r\ne=j.doe@example.com (Jane Doe)\r\np=+1 617 555-6011\r\nc=IN IP4 224.2.17.12/127\r\n" +
            "b=CT:128\r\nt=2873397496 2873404696\r\nr=7d 1h 0 25h\r\nz=2882844526 -1h 2898848070 0\r\nk=clear:secret\r\na=recvonly\r\n" +
            "m=audio 49170 RTP/AVP 0\r\nm=video 51372/2 RTP/AVP 99\r\ni=video\r\nc=IN IP6 ff15::101/3\r\nb=AS:512\r\nk=prompt\r\na=rtpmap:99 h263-1998/90000\r\n";
        var d = SdpParser.Parse(text).IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal("jdoe", d.Origin.Username);
        Assert.Equal("SDP Seminar", d.SessionName);
        Assert.Equal("A Seminar on the session description protocol", d.Information.Map(x => x.ToString()));
        Assert.Equal("http://www.example.com/seminars/sdp.pdf", d.Uri.Map(x => x.ToString()));
        Assert.Equal(new[] { "j.doe@example.com (Jane Doe)" }, d.Emails.Map(e => e.ToString()).ToArray());
        Assert.Equal(new[] { "+1 617 555-6011" }, d.Phones.Map(e => e.ToString()).ToArray());
        Assert.Equal(ConnectionData.Ip4("224.2.17.12/127"), d.Connection);
        Assert.Equal(new Bandwidth("CT", 128), d.Bandwidths.Single());
        Assert.Equal(new Timing(2873397496, 2873404696, Arr.create<SdpText>("7d 1h 0 25h")), d.Timings.Single());
        Assert.Equal("2882844526 -1h 2898848070 0", d.ZoneAdjustments.Map(x => x.ToString()));
        Assert.Equal("clear:secret", d.EncryptionKey.Map(x => x.ToString()));
        Assert.Equal(SdpDirection.RecvOnly, d.Direction());
        Assert.Equal(SdpDirection.RecvOnly, d.EffectiveDirection(d.Media[0]));
        var video = d.Media[1];
        Assert.Equal(2, video.PortCount);
        Assert.Equal("video", video.Information.Map(x => x.ToString()));
        Assert.Equal(ConnectionData.Ip6("ff15::101/3"), video.Connection);
        Assert.Equal(new Bandwidth("AS", 512), video.Bandwidths.Single());
        Assert.Equal("prompt", video.EncryptionKey.Map(x => x.ToString()));
        Assert.Equal(text, d.ToString());
        Assert.Equal(Minimal, SdpParser.Parse(Minimal).Map(x => x.ToString()).IfLeft(""));
    }

    [Fact]
    public void PropertyAndEmptyValueAttributesStayDistinct()
    {
        var d = SdpParser.Parse(Minimal + "a=foo\r\na=foo:\r\na=bar:x:y\r\n").IfLeft(_ => null!);
        Assert.False(d.Attributes[0].HasValue);
        Assert.True(d.Attributes[1].HasValue);
        Assert.NotEqual(d.Attributes[0], d.Attributes[1]);
        Assert.Equal(new SdpAttribute("bar", "x:y"), d.Attributes[2]);
        Assert.EndsWith("a=foo\r\na=foo:\r\na=bar:x:y\r\n", d.ToString());
    }

    [Theory]
    [InlineData("v=1\r\n", 1, "v= must be 0")]
    [InlineData("o=- 1 2 IN IP4 1.2.3.4\r\n", 1, "first line must be v=0")]
    [InlineData("v=0\r\no=- x 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", 2, "non-numeric session id")]
    [InlineData("v=0\r\no=- 1 2 IN IP4\r\ns=-\r\nt=0 0\r\n", 2, "o= line has no address")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio x UDP/TLS/RTP/SAVPF 0\r\n", 5, "m= line has a non-numeric port")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n", 5, "port above 65535")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9\r\n", 5, "m= line has no protocol")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9/x RTP/AVP 0\r\n", 5, "non-numeric port count")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nt=0 0\r\n", 6, "'t=' is not allowed in a media section")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nx=1\r\n", 5, "unknown line type 'x='")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nhello\r\n", 5, "expected a line of the form")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\na=:x\r\n", 5, "empty attribute name")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=zero 0\r\n", 4, "non-numeric start time")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nb=AS\r\n", 5, "b= line needs")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nc=IN IP4\r\n", 5, "c= line needs")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\no=- 1 2 IN IP4 1.2.3.4\r\n", 3, "more than one o= line")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nr=7d 1h 0 25h\r\n", 4, "r= line before any t= line")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", 4, "m= line before any t= line")]
    [InlineData("v=0\r\ns=-\r\nt=0 0\r\n", 4, "missing o= line")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\nt=0 0\r\n", 4, "missing s= line")]
    [InlineData("v=0\r\no=- 1 2 IN IP4 1.2.3.4\r\ns=-\r\n", 4, "missing t= line")]
    [InlineData("", 1, "no v= line")]
    public void ErrorsNameTheLine(string text, int line, string what)
    {
        var e = SdpCorpus.Error(text);
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"line {line}: ", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void ErrorInTheMiddleOfTheChromiumOfferNamesItsLine()
    {
        var lines = SdpCorpus.Load(SdpCorpus.ChromiumAvOffer).Split("\r\n");
        lines[7] = "m=audio nine UDP/TLS/RTP/SAVPF 111";
        var e = SdpCorpus.Error(string.Join("\r\n", lines));
        Assert.Equal("line 8: m= line has a non-numeric port", e.Message);
        Assert.Equal(8, e.Line);
        Assert.True(e.Offset > 0);
    }

    [Fact]
    public void RejectsHostileSizesWithATypedError()
    {
        var huge = new string('a', SdpParser.MaxLength + 1);
        Assert.Contains("more than", SdpCorpus.Error(huge).Message);
        var manyLines = "v=0\n" + string.Concat(Enumerable.Repeat("a=x\n", SdpParser.MaxLines + 1));
        Assert.Contains($"more than {SdpParser.MaxLines} lines", SdpCorpus.Error(manyLines).Message);
        var longLine = Minimal + "a=x:" + new string('y', SdpParser.MaxLineLength) + "\r\n";
        Assert.Contains("longer than", SdpCorpus.Error(longLine).Message);
        Assert.IsType<RtcError.Syntax>(SdpParser.Parse(null!).Match(_ => null!, e => e));
    }

    [Fact]
    public void TryParseReportsBothOutcomes()
    {
        Assert.True(SdpParser.TryParse(Minimal, out var d, out var e));
        Assert.NotNull(d);
        Assert.Null(e);
        Assert.False(SdpParser.TryParse("v=0\r\nx", out d, out e));
        Assert.Null(d);
        Assert.IsType<RtcError.Syntax>(e);
    }
}
