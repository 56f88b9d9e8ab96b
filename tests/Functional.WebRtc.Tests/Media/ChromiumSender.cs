using Microsoft.Playwright;
using Xunit;

namespace Functional.WebRtc.Tests.Media;

/// <summary>A Chromium page as the sending peer: its fake camera/microphone offered to us, candidates kept to 127.0.0.1.</summary>
internal static class ChromiumSender
{
    /// <summary>
    /// Makes <c>window.pc</c> in <paramref name="page"/> with the tracks of getUserMedia(<paramref name="constraints"/>),
    /// records the kinds of the tracks it receives in <c>window.remoteKinds</c>, and returns its complete offer with only the
    /// udp 127.0.0.1 candidates (network safety: nothing else reaches our ICE agent).
    /// </summary>
    public static async Task<string> LoopbackOfferAsync(IPage page, object constraints, CancellationToken cancel)
    {
        var offer = await page.EvaluateAsync<string>(@"async constraints => {
            const stream = await navigator.mediaDevices.getUserMedia(constraints);
            const pc = window.pc = new RTCPeerConnection();
            window.remoteKinds = [];
            pc.ontrack = e => window.remoteKinds.push(e.track.kind);
            for (const t of stream.getTracks()) pc.addTrack(t, stream);
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise(r => {
                if (pc.iceGatheringState === 'complete') r();
                pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); });
            });
            return pc.localDescription.sdp;
        }", constraints).WaitAsync(cancel);
        var loopbackOnly = string.Join("\r\n", offer.Split("\r\n").Where(l =>
            !l.StartsWith("a=candidate", StringComparison.Ordinal) || (l.Contains(" 127.0.0.1 ", StringComparison.Ordinal) && l.Contains(" udp ", StringComparison.OrdinalIgnoreCase))));
        Assert.Contains("127.0.0.1", loopbackOnly);
        return loopbackOnly;
    }
}
