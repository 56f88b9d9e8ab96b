using Functional.WebRtc.Core.Sdp;
using LanguageExt;
using Microsoft.Playwright;

namespace Functional.WebRtc.Tests.Sdp;

/// <summary>
/// The browser is the judge: a description changed through our model and written by <see cref="SdpWriter"/> is accepted
/// by Chromium's setRemoteDescription, and the answer Chromium makes reads back through our parser with the values we expect.
/// Needs Debian's Chromium at /usr/lib/chromium/chromium; everything stays in one page (no server, no network).
/// </summary>
public class ChromiumAcceptsWrittenSdpTests
{
    [Interop.InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumAnswersAnOfferWeRewrote()
    {
        var offer = SdpCorpus.Parse(SdpCorpus.ChromiumAvOffer);
        // Rewrite it the way an offerer would: new ICE credentials, no TCP candidates, video send-only,
        // one audio codec fewer, and a higher session version.
        var rewritten = (offer with { Origin = offer.Origin with { SessionVersion = offer.Origin.SessionVersion + 1 } })
            .MapMedia(m => m
                .WithIceCredentials("Zq9x", "abcdefghijklmnopqrstuvwx")
                .WithoutAttributes(a => a.Name == "candidate" && a.Value.Span.Contains(" tcp ", StringComparison.Ordinal)))
            .MapMedia(m => m.Media == "video" ? m.WithDirection(SdpDirection.SendOnly) : m)
            .MapMedia(m => m.Media != "audio" ? m : m with
            {
                Formats = m.Formats.Filter(f => f != "126").ToArr(),
                Attributes = m.Attributes.Filter(a => !(a.Name == "rtpmap" && a.Value.Span.StartsWith("126 "))).ToArr(),
            });
        var text = rewritten.ToString();
        Assert.Equal(rewritten, SdpParser.Parse(text).IfLeft(_ => null!));

        var answerText = await AnswerInChromium(text);
        var answer = SdpParser.Parse(answerText).Match(d => d, e => throw new Xunit.Sdk.XunitException($"{e}\n{answerText}"));
        Assert.True(answer.Validate().IsRight);
        Assert.Equal(new[] { "0", "1", "2" }, answer.Media.Map(m => m.Mid().IfNone("")).ToArray());
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[1].Direction());
        Assert.DoesNotContain(126, answer.Media[0].PayloadTypes());
        Assert.Equal(new RtpMap(111, "opus", 48000, 2), answer.Media[0].RtpMapFor(111));
        Assert.Equal(SdpSetup.Active, answer.Media[0].Setup());
        Assert.Equal(5000, answer.Media[2].SctpPort());
    }

    private static async Task<string> AnswerInChromium(string offer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Interop.BrowserPeer.LaunchBrowserAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.RouteAsync("http://127.0.0.1/**", r => r.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/html", Body = "<html></html>" }));
        await page.GotoAsync("http://127.0.0.1/sdp.html");
        var answer = await page.EvaluateAsync<string>(@"async offer => {
            const pc = new RTCPeerConnection();
            await pc.setRemoteDescription({ type: 'offer', sdp: offer });
            await pc.setLocalDescription(await pc.createAnswer());
            const sdp = pc.localDescription.sdp;
            pc.close();
            return sdp;
        }", offer).WaitAsync(cts.Token);
        return answer;
    }
}
