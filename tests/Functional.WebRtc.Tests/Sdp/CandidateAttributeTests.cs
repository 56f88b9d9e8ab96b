using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sdp;

public class CandidateAttributeTests
{
    private static CandidateAttribute Ok(string s) =>
        CandidateAttribute.Parse(s).Match(c => c, e => throw new Xunit.Sdk.XunitException($"{s}: {e}"));

    private static string Fails(string s) =>
        CandidateAttribute.Parse(s).Match(c => throw new Xunit.Sdk.XunitException($"parsed {c}"), e => Assert.IsType<RtcError.Syntax>(e).Message);

    [Fact]
    public void HostUdpIpv4FromChromium()
    {
        const string text = "candidate:3039745631 1 udp 2122260223 127.0.0.1 38375 typ host generation 0 network-id 1 network-cost 50";
        var c = Ok(text);
        Assert.Equal("3039745631", c.Foundation);
        Assert.Equal(1, c.Component);
        Assert.Equal("udp", c.Transport);
        Assert.Equal(2122260223u, c.Priority);
        Assert.Equal("127.0.0.1", c.Address);
        Assert.Equal(38375, c.Port);
        Assert.Equal(CandidateType.Host, c.Type);
        Assert.Equal(0u, c.Generation);
        Assert.Equal(1u, c.NetworkId);
        Assert.Equal(50u, c.NetworkCost);
        Assert.True(c.RelatedAddress.IsNone);
        Assert.Equal(text, c.CandidateString);
        Assert.Equal(text["candidate:".Length..], c.ToString());
        Assert.Equal(c, Ok("a=" + text));
        Assert.Equal(c, Ok(c.ToString()));
    }

    [Fact]
    public void Ipv6ServerReflexiveWithRelatedAddress()
    {
        const string text = "1853887674 2 udp 1677729535 2001:db8::1:2 61665 typ srflx raddr fe80::1 rport 61665 generation 3 ufrag EEtu";
        var c = Ok(text);
        Assert.Equal(2, c.Component);
        Assert.Equal("2001:db8::1:2", c.Address);
        Assert.Equal(CandidateType.Srflx, c.Type);
        Assert.Equal("fe80::1", c.RelatedAddress);
        Assert.Equal(61665, c.RelatedPort);
        Assert.Equal(3u, c.Generation);
        Assert.Equal("EEtu", c.Ufrag);
        Assert.Equal(text, c.ToString());
    }

    [Fact]
    public void TcpTypesAndRelayAndPrflx()
    {
        Assert.Equal(CandidateTcpType.Active, Ok("1266942667 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0").TcpType);
        Assert.Equal(CandidateTcpType.Passive, Ok("1 1 TCP 1518280447 198.51.100.7 5000 typ host tcptype passive").TcpType);
        Assert.Equal(CandidateTcpType.So, Ok("1 1 tcp 1518280447 198.51.100.7 5000 typ host tcptype so").TcpType);
        var relay = Ok("2 1 udp 41885439 192.0.2.7 3478 typ relay raddr 203.0.113.4 rport 50000");
        Assert.Equal(CandidateType.Relay, relay.Type);
        Assert.Equal("203.0.113.4", relay.RelatedAddress);
        Assert.Equal(CandidateType.Prflx, Ok("3 1 udp 1845501695 198.51.100.9 4000 typ prflx raddr 0.0.0.0 rport 0").Type);
        Assert.True(Ok("1 1 TCP 1518280447 198.51.100.7 5000 typ host tcptype passive").IsTcp);
    }

    [Fact]
    public void MdnsAndFqdnAddresses()
    {
        var c = Ok("candidate:1 1 udp 2122260223 4a1b3c2d-1111-2222-3333-444455556666.local 54400 typ host generation 0");
        Assert.True(c.IsMdns);
        Assert.Equal("4a1b3c2d-1111-2222-3333-444455556666.local", c.Address);
        Assert.False(Ok("1 1 udp 1 turn.example.com 3478 typ relay raddr 0.0.0.0 rport 0").IsMdns);
    }

    [Fact]
    public void UnknownExtensionsAreKeptInOrder()
    {
        const string text = "1 1 udp 2122260223 198.51.100.7 5000 typ host generation 0 zeta 1 alpha two network-id 7";
        var c = Ok(text);
        Assert.Equal(new[] { ("zeta", "1"), ("alpha", "two") }, c.Extensions.ToArray());
        Assert.Equal(7u, c.NetworkId);
        Assert.Equal("1 1 udp 2122260223 198.51.100.7 5000 typ host generation 0 network-id 7 zeta 1 alpha two", c.ToString());
        Assert.Equal(c, Ok(c.ToString()));
    }

    [Fact]
    public void BuiltRecordsWriteTheGrammar()
    {
        var c = new CandidateAttribute("abc", 1, "udp", 100, "192.0.2.1", 1234, CandidateType.Srflx)
        {
            RelatedAddress = "198.51.100.7",
            RelatedPort = 4321,
            Ufrag = "uf",
        };
        Assert.Equal("abc 1 udp 100 192.0.2.1 1234 typ srflx raddr 198.51.100.7 rport 4321 ufrag uf", c.ToString());
        Assert.Equal(new SdpAttribute("candidate", c.ToString()), c.ToAttribute());
        Assert.Equal(c, Ok(c.CandidateString));
    }

    [Theory]
    [InlineData("", "foundation")]
    [InlineData("candidate:", "foundation")]
    [InlineData("a$b 1 udp 1 1.2.3.4 1 typ host", "foundation")]
    [InlineData("123456789012345678901234567890123 1 udp 1 1.2.3.4 1 typ host", "foundation")]
    [InlineData("1 0 udp 1 1.2.3.4 1 typ host", "component")]
    [InlineData("1 257 udp 1 1.2.3.4 1 typ host", "component")]
    [InlineData("1 1 udp 4294967296 1.2.3.4 1 typ host", "priority")]
    [InlineData("1 1 udp -1 1.2.3.4 1 typ host", "priority")]
    [InlineData("1 1 udp 1 1.2.3.4 65536 typ host", "port")]
    [InlineData("1 1 udp 1 1.2.3.4 1 type host", "typ")]
    [InlineData("1 1 udp 1 1.2.3.4 1 typ local", "candidate type")]
    [InlineData("1 1 udp 1 1.2.3.4 1", "typ")]
    [InlineData("1 1 udp 1 gg::1 1 typ host", "connection address")]
    [InlineData("1 1 udp 1 a/b 1 typ host", "connection address")]
    [InlineData("1 1 udp 1 1.2.3.4 1 typ srflx raddr", "no value")]
    [InlineData("1 1 udp 1 1.2.3.4 1 typ srflx raddr 1.2.3.4 rport x", "rport")]
    [InlineData("1 1 tcp 1 1.2.3.4 1 typ host tcptype sideways", "tcptype")]
    [InlineData("1 1 udp 1 1.2.3.4 1 typ host generation -1", "generation")]
    [InlineData("1 1 udp 1 1.2.3.4 1 typ host network-cost x", "network-cost")]
    public void MalformedCandidatesAreTypedErrors(string text, string what) =>
        Assert.Contains(what, Fails(text));
}
