using Functional.WebRtc;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Core.Signaling;

using Examples.Shared;

namespace Broadcast;

/// <summary>How the example runs: its HTTP port on 127.0.0.1 (0 picks a free one), where it logs, and who hears its address.</summary>
public sealed record BroadcastOptions
{
    public int Port { get; init; } = 8080;
    public TextWriter Log { get; init; } = Console.Out;
    /// <summary>Called once the page is served, with its address.</summary>
    public Action<Uri>? Listening { get; init; }
}

/// <summary>What the example did, for whoever runs it (a test).</summary>
public sealed class BroadcastCounters
{
    private long _packets, _keyframeRequests, _publishers, _subscribers;
    /// <summary>RTP packets of the publisher written to the broadcast track (each goes to every subscriber).</summary>
    public long PacketsForwarded => Interlocked.Read(ref _packets);
    /// <summary>Picture loss indications sent to the publisher (a subscriber's PLI or FIR, or a new subscriber).</summary>
    public long KeyframeRequestsForwarded => Interlocked.Read(ref _keyframeRequests);
    public long Publishers => Interlocked.Read(ref _publishers);
    public long Subscribers => Interlocked.Read(ref _subscribers);
    internal void Packets(int n) => Interlocked.Add(ref _packets, n);
    internal void KeyframeRequest() => Interlocked.Increment(ref _keyframeRequests);
    internal void Publisher() => Interlocked.Increment(ref _publishers);
    internal void Subscriber() => Interlocked.Increment(ref _subscribers);
}

/// <summary>
/// The example's logic, callable from a test (Pion's broadcast): serves the page; an offer that sends video is the
/// publisher, any other offer is a subscriber. Every subscriber's connection sends the one
/// <see cref="TrackLocalStaticRtp"/> the publisher's packets are written to (each of its senders rewrites SSRC and payload
/// type to what its connection negotiated), and keyframe requests of the subscribers go to the publisher as PLIs. Runs
/// until <paramref name="cancel"/> fires; then closes every connection and the HTTP listener.
/// </summary>
public static class BroadcastExample
{
    public static async Task RunAsync(BroadcastOptions options, CancellationToken cancel, BroadcastCounters? counters = null)
    {
        var log = TextWriter.Synchronized(options.Log);
        var hub = new Broadcaster(log, counters ?? new BroadcastCounters(), cancel);
        await HttpPage.ServeOffersAsync(options.Port, options.Listening, log, Page,
            create: () => new PeerConnection(null, new SettingEngine { MediaEngine = ExampleMedia.Vp8Only }),
            prepare: hub.Join, cancel);
    }

    /// <summary>Does this offer send video (a section that is sendonly or sendrecv)? Then it comes from the publisher.</summary>
    public static bool Publishes(SessionDescription offer) =>
        offer.TryUnmarshal().Match(
            Right: d => d.Media.Exists(m => m.Media == "video" && m.Port != 0 && Jsep.DirectionOf(m) is Direction.SendOnly or Direction.SendRecv),
            Left: _ => false);

    /// <summary>
    /// The page: "Publish a broadcast" sends the camera (sendonly), "Join the broadcast" receives it (recvonly); both ask
    /// for the camera first, which lets Chromium gather 127.0.0.1. <c>?publish</c> or <c>?subscribe</c> presses the button.
    /// </summary>
    public const string Page = """
        <!doctype html><meta charset="utf-8"><title>broadcast</title>
        <p><button id="publish">Publish a broadcast</button> <button id="subscribe">Join the broadcast</button></p>
        <video id="video" autoplay muted playsinline width="320"></video>
        <pre id="log"></pre>
        <script>
        const log = text => { document.getElementById('log').textContent += text + '\n'; fetch('/log', { method: 'POST', body: text }); };
        const start = async publish => {
          document.querySelectorAll('button').forEach(b => b.disabled = true);
          const video = document.getElementById('video');
          const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
          const pc = window.pc = new RTCPeerConnection();
          pc.onconnectionstatechange = () => log((publish ? 'publisher' : 'subscriber') + ' connection: ' + pc.connectionState);
          if (publish) {
            video.srcObject = stream;
            pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
          } else {
            stream.getTracks().forEach(t => t.stop());
            pc.addTransceiver('video', { direction: 'recvonly' });
            pc.ontrack = e => { video.srcObject = new MediaStream([e.track]); log('receiving the broadcast'); };
          }
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise(resolve => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          });
          const answer = await (await fetch('/offer', { method: 'POST', body: JSON.stringify(pc.localDescription) })).json();
          await pc.setRemoteDescription(answer);
        };
        const run = publish => start(publish).catch(e => log('error: ' + e));
        document.getElementById('publish').onclick = () => run(true);
        document.getElementById('subscribe').onclick = () => run(false);
        if (location.search === '?publish') run(true);
        else if (location.search === '?subscribe') run(false);
        </script>
        """;
}

/// <summary>
/// One broadcast: the publisher's video track is read into one buffer and written to <see cref="Output"/>, which every
/// subscriber's connection sends. Nothing is allocated per packet on that path (buffer reads, an in-place rewrite, the
/// senders' pooled copies; ForwardingPathTests measures those APIs). A later publisher replaces the
/// current one; an <see cref="RtpRewrite"/> keeps the broadcast's sequence numbers and timestamps continuous across
/// the switch, so subscribers see one stream.
/// </summary>
public sealed class Broadcaster(TextWriter log, BroadcastCounters counters, CancellationToken cancel)
{
    /// <summary>Fewer keyframe requests than this apart are not forwarded: one keyframe serves every subscriber.</summary>
    public static readonly TimeSpan KeyframeRequestInterval = TimeSpan.FromMilliseconds(300);

    /// <summary>The largest packet the forwarding buffer holds (a UDP datagram on loopback is far below; Chromium sends about 1200 octets).</summary>
    private const int MaxPacketSize = 4096;

    private sealed record Publisher(PeerConnection Pc, TrackRemote Track);

    private readonly object _forwardLock = new();
    private Publisher? _publisher;
    private Publisher? _lastWriter;
    private RtpRewrite _rewrite;
    private ushort _lastSequence;
    private uint _lastTimestamp;
    private long _lastKeyframeRequest = long.MinValue / 2; // long ago, and now - it cannot overflow

    /// <summary>The track every subscriber receives: VP8, whatever publisher feeds it.</summary>
    public TrackLocalStaticRtp Output { get; } = new(RtpCodecCapability.Vp8, "video", "broadcast");

    /// <summary>
    /// For <see cref="HttpPage.ServeOffersAsync"/>, once the offer is the remote description: the publisher when it sends
    /// video, else a subscriber. Nothing to start after the answer.
    /// </summary>
    public Action? Join(PeerConnection pc)
    {
        if (pc.RemoteDescription is { } offer && BroadcastExample.Publishes(offer)) Publish(pc);
        else Subscribe(pc);
        return null;
    }

    /// <summary>The connection's video track becomes the broadcast's source.</summary>
    public void Publish(PeerConnection pc)
    {
        counters.Publisher();
        pc.OnTrack += (track, receiver) =>
        {
            if (track.Kind != MediaKind.Video) return;
            var publisher = new Publisher(pc, track);
            Volatile.Write(ref _publisher, publisher);
            log.WriteLine($"publisher: {track.Codec} ssrc {track.Ssrc}, broadcast to {Output.BindingCount} subscribers");
            _ = Task.Run(() => ForwardAsync(publisher));
        };
    }

    /// <summary>The connection receives the broadcast; its keyframe requests go to the publisher, and so does a first one.</summary>
    public RtpSender Subscribe(PeerConnection pc)
    {
        var sender = pc.AddTrack(Output);
        counters.Subscriber();
        log.WriteLine($"subscriber {counters.Subscribers}: sending the broadcast as ssrc {sender.Ssrc}");
        // A new viewer cannot decode before the next keyframe: ask for one as soon as it can receive.
        pc.OnConnectionStateChange += s => { if (s == PeerConnectionState.Connected) RequestKeyframe(sender.Ssrc, force: true); };
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var packets = await sender.ReadRtcpAsync(cancel);
                    foreach (var p in packets)
                        if (p is PictureLossIndication or FullIntraRequest) { RequestKeyframe(sender.Ssrc, force: false); break; }
                }
            }
            catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { } // the sender or the example ended
        });
        return sender;
    }

    /// <summary>A PLI for the publisher's track (RFC 4585 6.3.1), unless one went out less than the interval ago.</summary>
    private void RequestKeyframe(uint senderSsrc, bool force)
    {
        var publisher = Volatile.Read(ref _publisher);
        if (publisher is null) return;
        var now = Environment.TickCount64;
        if (force) Interlocked.Exchange(ref _lastKeyframeRequest, now);
        else
        {
            var last = Interlocked.Read(ref _lastKeyframeRequest);
            if (now - last < (long)KeyframeRequestInterval.TotalMilliseconds) return;
            if (Interlocked.CompareExchange(ref _lastKeyframeRequest, now, last) != last) return; // another subscriber's went out just now
        }
        publisher.Pc.WriteRtcp(new PictureLossIndication(senderSsrc, publisher.Track.Ssrc));
        counters.KeyframeRequest();
    }

    /// <summary>
    /// Reads the publisher's packets into one buffer (await for the first, then whatever else is queued without waiting)
    /// and writes them to <see cref="Output"/> while this publisher is the current one. Ends with the track or the example.
    /// </summary>
    private async Task ForwardAsync(Publisher publisher)
    {
        var buffer = new byte[MaxPacketSize];
        try
        {
            while (Volatile.Read(ref _publisher) == publisher)
            {
                var length = await publisher.Track.ReadRtpAsync(buffer, cancel);
                var n = 0;
                do
                {
                    if (Forward(publisher, buffer.AsSpan(0, length))) n++;
                }
                while (publisher.Track.TryReadRtp(buffer, out length));
                counters.Packets(n);
            }
        }
        catch (Exception e) when (e is InvalidStateException or OperationCanceledException) { } // the track or the example ended
        catch (ArgumentException) { log.WriteLine("publisher: a packet longer than the buffer; forwarding stopped"); }
        if (Interlocked.CompareExchange(ref _publisher, null, publisher) == publisher) log.WriteLine("publisher: gone");
    }

    /// <summary>
    /// One packet, rewritten in place: when its source differs from the last one written, the offsets are chosen so the
    /// broadcast continues right after the last packet sent (RFC 7667 3.7: a switching middlebox keeps one stream).
    /// </summary>
    private bool Forward(Publisher publisher, Span<byte> packet)
    {
        if (!RtpPacketView.TryParse(packet, out var view, out _)) return false;
        var (sequence, timestamp, ssrc, payloadType) = (view.SequenceNumber, view.Timestamp, view.Ssrc, view.PayloadType);
        lock (_forwardLock)
        {
            if (Volatile.Read(ref _publisher) != publisher) return false;
            if (_lastWriter != publisher)
            {
                _rewrite = _lastWriter is null
                    ? new RtpRewrite(ssrc, payloadType)
                    : _rewrite.ContinueFrom(_lastSequence, _lastTimestamp, sequence, timestamp, timestampGap: 3000) with { PayloadType = payloadType };
                _lastWriter = publisher;
            }
            _rewrite.Apply(packet);
            _lastSequence = (ushort)(sequence + _rewrite.SequenceOffset);
            _lastTimestamp = unchecked(timestamp + _rewrite.TimestampOffset);
            Output.WriteRtp(packet);
            return true;
        }
    }
}
