using Functional.WebRtc.Core.Sdp;

namespace Functional.WebRtc.Tests.Sdp;

public class SdpTextTests
{
    [Fact]
    public void SlicesCompareByContent()
    {
        const string source = "a=mid:0\r\n";
        var slice = new SdpText(source, 2, 3);
        Assert.Equal("mid", slice.ToString());
        Assert.True(slice == "mid");
        Assert.True("mid" == slice);
        Assert.Equal(new SdpText("mid"), slice);
        Assert.Equal(new SdpText("mid").GetHashCode(), slice.GetHashCode());
        Assert.NotEqual(new SdpText("Mid"), slice);
        Assert.True(slice.EqualsIgnoreCase("MID"));
        Assert.Equal("id", slice.Slice(1).ToString());
        Assert.Equal(0, slice.CompareTo("mid"));
        Assert.True(new SdpText("a").CompareTo("b") < 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SdpText(source, 8, 5));
    }

    [Fact]
    public void DefaultIsAbsentButEqualsEmpty()
    {
        Assert.True(default(SdpText).IsNull);
        Assert.False(SdpText.Empty.IsNull);
        Assert.Equal(default(SdpText), SdpText.Empty);
        Assert.Equal("", default(SdpText).ToString());
        SdpText fromNull = (string?)null;
        Assert.True(fromNull.IsNull);
    }

    [Fact]
    public void WholeStringsAreNotCopied()
    {
        var s = "webrtc-datachannel";
        Assert.Same(s, new SdpText(s).ToString());
        string back = new SdpText(s);
        Assert.Same(s, back);
    }

    [Fact]
    public void AttributesFromSlicesEqualAttributesFromStrings()
    {
        const string text = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=mid:0\r\na=rtcp-mux\r\na=empty:\r\n";
        var parsed = SdpParser.Parse(text).Match(d => d.Attributes, e => throw new Xunit.Sdk.XunitException(e.ToString()));
        var built = new[] { new SdpAttribute("mid", "0"), new SdpAttribute("rtcp-mux"), new SdpAttribute("empty", "") };
        Assert.Equal(built, parsed.ToArray());
        Assert.Equal(built.Select(a => a.GetHashCode()), parsed.Map(a => a.GetHashCode()).ToArray());
        Assert.True(parsed[1] != new SdpAttribute("rtcp-mux", ""));
        Assert.Equal("0", parsed[0].OptionalValue.Map(v => v.ToString()));
        Assert.True(parsed[1].OptionalValue.IsNone);
        var (name, value) = parsed[0];
        Assert.Equal("mid", name);
        Assert.Equal("0", value);
    }
}
