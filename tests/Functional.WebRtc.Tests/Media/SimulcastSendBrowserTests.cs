using System.Text.Json;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Tests.Connection;
using Functional.WebRtc.Tests.Interop;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.Media;

/// <summary>
/// Our simulcast offer judged by headless Chromium (RFC 8853): it accepts the offer (a=rid send, a=simulcast:send, no
/// a=ssrc). libwebrtc does not receive simulcast, so its answer has no a=simulcast:recv (its own simulcast tests say
/// the answering side "will think that there is no simulcast"); JSEP 5.3.1 then leaves the first layer alone, which we
/// send without a rid and Chromium finds by mid and decodes. Should a Chromium answer receive simulcast, the test
/// checks its a=rid recv lines and the layers instead. Run inside a loopback-only namespace; candidates are 127.0.0.1.
/// </summary>
public class SimulcastSendBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly MediaEngine Vp8Only = MediaEngine.Default with
    {
        Codecs = MediaEngine.Default.Codecs.Filter(c => c.Name is "VP8" || c.IsRtx && c.Apt.Exists(a => a == 96)),
    };

    [InteropFact]
    [Trait("Category", "Browser")]
    public async Task ChromiumAcceptsOurSimulcastOfferAndDecodesWhatItsAnswerAccepts()
    {
        var video = FfmpegFiles.Vp8(seconds: 2);
        await using var chromium = await BrowserPeer.LaunchAsync();
        await using var pc = new PeerConnection(null, new SettingEngine { MediaEngine = Vp8Only });
        var rids = new[] { "q", "h", "f" };
        var layers = rids.Select(r => new TrackLocalStaticSample(RtpCodecCapability.Vp8, "camera", "stream", r)).ToArray();
        var sender = pc.AddTrack(layers[0]);
        foreach (var layer in layers.Skip(1)) sender.AddEncoding(layer);
        await pc.SetLocalDescriptionAsync(await pc.CreateOfferAsync());
        await pc.GatheringComplete.WaitAsync(Timeout);
        var offer = pc.LocalDescription!.Sdp;
        Assert.Contains("a=simulcast:send q;h;f", offer);

        await chromium.SetRemoteDescriptionAsync("offer", offer); // throws if Chromium rejects the offer
        var answer = await chromium.AnswerAsync();
        var simulcastAnswer = answer.Contains("a=simulcast:recv", StringComparison.Ordinal);
        output.WriteLine(simulcastAnswer ? "Chromium answered a=simulcast:recv" : "Chromium answered without simulcast: the first layer alone is sent");
        if (simulcastAnswer)
            foreach (var rid in rids) Assert.Contains($"a=rid:{rid} recv", answer);
        else
            Assert.DoesNotContain("a=rid:", answer);

        await pc.SetRemoteDescriptionAsync(SessionDescription.Answer(answer));
        await chromium.WaitForConnectionStateAsync("connected", Timeout);
        await LoopbackPair.WaitForAsync(() => sender.CanSend, Timeout, "sender ready");
        var encodings = sender.GetParameters().Encodings;
        Assert.Equal(simulcastAnswer ? [true, true, true] : new[] { true, false, false }, encodings.Map(e => e.Active));

        // The same frames on every layer, at 30 fps, until Chromium decodes some (at most the file twice).
        var sent = encodings.Filter(e => e.Active).Map(e => e.Ssrc).ToHashSet();
        IReadOnlyList<InboundRtpStats> inbound = [];
        for (var round = 0; round < 2; round++)
        {
            foreach (var frame in video.Frames)
            {
                foreach (var layer in layers) layer.WriteSample(frame.Data.Span, TimeSpan.FromMilliseconds(33));
                await Task.Delay(33);
            }
            inbound = await chromium.InboundRtpAsync();
            output.WriteLine(JsonSerializer.Serialize(inbound));
            if (inbound.Any(i => sent.Contains(i.Ssrc) && i.FramesDecoded > 10)) break;
        }
        var ours = inbound.Where(i => i.Kind == "video").ToList();
        Assert.Contains(ours, i => sent.Contains(i.Ssrc) && i.PacketsReceived > 20 && i.FramesDecoded > 10);
        // Nothing of the layers the answer did not accept reached Chromium.
        var notSent = encodings.Filter(e => !e.Active).Map(e => e.Ssrc).ToHashSet();
        Assert.DoesNotContain(ours, i => notSent.Contains(i.Ssrc));
        var stats = await pc.GetStatsAsync();
        Assert.Equal(sent.Count, stats.Count(s => s.Type == "outbound-rtp"));
    }
}
