using Functional.WebRtc;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;

using Examples.Shared;

namespace Reflect;

/// <summary>How the example runs: its HTTP port on 127.0.0.1 (0 picks a free one), where it logs, and who hears its address.</summary>
public sealed record ReflectOptions
{
    public int Port { get; init; } = 8080;
    public TextWriter Log { get; init; } = Console.Out;
    /// <summary>Called once the page is served, with its address.</summary>
    public Action<Uri>? Listening { get; init; }
}

/// <summary>What the example did, for whoever runs it (a test): packets sent back and picture loss requests forwarded.</summary>
public sealed class ReflectCounters
{
    private long _packets, _keyframeRequests;
    public long PacketsReflected => Interlocked.Read(ref _packets);
    public long KeyframeRequestsForwarded => Interlocked.Read(ref _keyframeRequests);
    internal void Packet() => Interlocked.Increment(ref _packets);
    internal void KeyframeRequest() => Interlocked.Increment(ref _keyframeRequests);
}

/// <summary>
/// The example's logic, callable from a test: serves the page; for each offer the page POSTs, a PeerConnection answers
/// with VP8 only and a <see cref="TrackLocalStaticRtp"/> on the browser's video transceiver, then writes every RTP packet of
/// the browser's track to it (the sender gives it our SSRC and the negotiated payload type). Runs until
/// <paramref name="cancel"/> fires; then closes every connection and the HTTP listener.
/// </summary>
public static class ReflectExample
{
    public static async Task RunAsync(ReflectOptions options, CancellationToken cancel, ReflectCounters? counters = null)
    {
        counters ??= new ReflectCounters();
        var log = TextWriter.Synchronized(options.Log);
        await HttpPage.ServeOffersAsync(options.Port, options.Listening, log, Page,
            create: () => new PeerConnection(null, new SettingEngine { MediaEngine = ExampleMedia.Vp8Only }),
            prepare: pc =>
            {
                var output = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "reflect");
                var sender = pc.AddTrack(output);
                Attach(pc, output, sender, log, counters, cancel);
                return null;
            }, cancel);
    }

    /// <summary>
    /// The browser's video track is written to <paramref name="output"/> packet for packet; the keyframe requests the
    /// browser's receiver sends us for <paramref name="output"/> (PLI, FIR) go upstream as a PLI for the browser's track, so
    /// its encoder makes the keyframe its own decoder asks for. Both loops end when the connection closes.
    /// </summary>
    public static void Attach(PeerConnection pc, TrackLocalStaticRtp output, RtpSender sender, TextWriter log, ReflectCounters counters, CancellationToken cancel)
    {
        TrackRemote? upstream = null;
        pc.OnTrack += (track, receiver) =>
        {
            if (track.Kind != MediaKind.Video) return;
            log.WriteLine($"reflecting {track.Codec} ssrc {track.Ssrc} (payload type {track.PayloadType}) back as ssrc {sender.Ssrc}");
            Volatile.Write(ref upstream, track);
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var packet = await track.ReadRtpAsync(cancel);
                        output.WriteRtp(packet.Span);
                        counters.Packet();
                    }
                }
                catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { } // the track or the example ended
            });
        };
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var packets = await sender.ReadRtcpAsync(cancel);
                    var source = Volatile.Read(ref upstream);
                    if (source is null || !packets.Any(p => p is PictureLossIndication or FullIntraRequest)) continue;
                    pc.WriteRtcp(new PictureLossIndication(sender.Ssrc, source.Ssrc));
                    counters.KeyframeRequest();
                }
            }
            catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { } // the sender or the example ended
        });
    }

    /// <summary>
    /// The page: sends its camera (getUserMedia first, which also lets Chromium gather 127.0.0.1), shows it and what comes
    /// back.
    /// </summary>
    public const string Page = """
        <!doctype html><meta charset="utf-8"><title>reflect</title>
        <p>sent <video id="local" autoplay muted playsinline width="320"></video>
           back <video id="remote" autoplay muted playsinline width="320"></video></p>
        <pre id="log"></pre>
        <script>
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        (async () => {
          const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
          document.getElementById('local').srcObject = stream;
          const pc = window.pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log('connection: ' + pc.connectionState);
          pc.ontrack = e => { document.getElementById('remote').srcObject = new MediaStream([e.track]); log('track back: ' + e.track.kind); };
          for (const t of stream.getTracks()) pc.addTrack(t, stream);
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          });
          const answer = await (await fetch('/offer', { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
        })().catch(e => log('error: ' + e));
        </script>
        """;
}
