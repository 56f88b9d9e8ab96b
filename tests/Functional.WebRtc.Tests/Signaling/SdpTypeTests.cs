namespace Functional.WebRtc.Tests.Signaling;

public class SdpTypeTests
{
    [Theory]
    [InlineData("offer", SdpType.Offer)]
    [InlineData("pranswer", SdpType.Pranswer)]
    [InlineData("answer", SdpType.Answer)]
    [InlineData("rollback", SdpType.Rollback)]
    public void ParsesAndPrintsTheBrowserStrings(string text, SdpType type)
    {
        Assert.Equal(type, SdpTypes.Parse(text));
        Assert.Equal(text, type.ToText());
    }

    [Theory]
    [InlineData("Offer")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("unknown")]
    [InlineData("answer ")]
    public void AnythingElseIsUnknown(string? text) => Assert.Equal(SdpType.Unknown, SdpTypes.Parse(text));

    [Fact]
    public void UnknownIsTheZeroValue() => Assert.Equal(SdpType.Unknown, default(SdpType));

    [Fact]
    public void JsonIsExactlyTheBrowsersRtcSessionDescriptionInit()
    {
        // JSON.stringify({type: 'offer', sdp: 'v=0\r\na=ice-pwd:a+b/c\r\n'}) in a browser:
        const string browser = "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\na=ice-pwd:a+b/c\\r\\n\"}";
        var desc = new SessionDescription(SdpType.Offer, "v=0\r\na=ice-pwd:a+b/c\r\n");
        Assert.Equal(browser, desc.ToJson());
        Assert.Equal(desc, SessionDescription.FromJson(browser).IfLeft(e => throw new Exception(e.ToString())));
        Assert.Equal(desc, System.Text.Json.JsonSerializer.Deserialize<SessionDescription>(browser));
    }

    [Fact]
    public void JsonWithAnUnknownTypeReadsAsUnknownAndBadJsonIsASyntaxError()
    {
        Assert.Equal(SdpType.Unknown, SessionDescription.FromJson("{\"type\":\"bogus\",\"sdp\":\"\"}").Map(d => d.Type).IfLeft(SdpType.Offer));
        Assert.True(SessionDescription.FromJson("{\"type\":").IsLeft);
        Assert.True(SessionDescription.FromJson("[1]").IsLeft);
    }

    [Fact]
    public void UnmarshalGivesTheModelOrTheLineThatIsWrong()
    {
        var ok = new SessionDescription(SdpType.Offer, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n").TryUnmarshal();
        Assert.True(ok.IsRight);
        var bad = new SessionDescription(SdpType.Offer, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n").TryUnmarshal();
        bad.Match(_ => Assert.Fail("accepted"), e => Assert.Contains("5", e.Message));
    }
}
