using System.Diagnostics;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// The SFU forwarding harness (issue 6): three PeerConnections in this process on 127.0.0.1, publisher -> SFU ->
/// subscriber, through the public API only. The publisher writes 1200-byte VP8 RTP packets with
/// TrackLocalStaticRtp.WriteRtp; the SFU's receiving PeerConnection hands them out with TrackRemote.ReadRtpAsync and
/// its sending PeerConnection takes them with TrackLocalStaticRtp.WriteRtp (rewriting SSRC and payload type, NACK
/// history, SRTP, sendto); the subscriber counts what arrives. A window of packets in flight keeps the queues from
/// overflowing. Counts and time are bounded.
/// <para>
/// The same packets are first sent publisher -> subscriber directly (no SFU): the CPU of the forward run minus the CPU
/// of the direct run is what the SFU's hop adds (one more receive, unprotect, queue, read, write, protect, send), since
/// all three peers share this process.
/// </para>
/// Run: dotnet run -c Release --project benchmarks/Functional.WebRtc.Benchmarks -- forward [packets] [seconds] [gcm|cm]
/// </summary>
public static class Forward
{
    private const int PacketLength = 1200;
    private const int Window = 256;

    public static async Task<int> RunAsync(string[] args)
    {
        var packets = args.Length > 1 ? int.Parse(args[1]) : 200_000;
        var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30;
        var profile = args.Length > 3 && args[3].Equals("cm", StringComparison.OrdinalIgnoreCase)
            ? DtlsSrtpProfile.Aes128CmHmacSha1_80 : DtlsSrtpProfile.AeadAes128Gcm;
        var settings = new SettingEngine { DtlsOptions = DtlsOptions.Default with { SrtpProfiles = [profile] } };
        Console.WriteLine($"forward: {packets} packets of {PacketLength} B (at most {seconds} s per phase), SRTP {profile}, window {Window}");

        await using var chain = await Chain.ConnectAsync(settings);
        // Warm-up: JIT, thread pool, the queues' first growth.
        await chain.RunAsync(direct: true, Math.Min(20_000, packets), seconds);
        await chain.RunAsync(direct: false, Math.Min(20_000, packets), seconds);

        // FORWARD_ALLOC_TYPES=1: sample what allocates (GCAllocationTick, about one event per 100 KB) during the measured phases.
        using var sampler = Environment.GetEnvironmentVariable("FORWARD_ALLOC_TYPES") == "1" ? new AllocationSampler() : null;
        var direct = await chain.RunAsync(direct: true, packets, seconds);
        Print("direct (publisher -> subscriber)", direct);
        var forward = await chain.RunAsync(direct: false, packets, seconds);
        Print("forward (publisher -> SFU -> subscriber)", forward);
        if (forward.Received > 0 && direct.Received > 0)
        {
            var hopCpu = forward.CpuMicrosPerPacket - direct.CpuMicrosPerPacket;
            var hopAlloc = forward.AllocatedPerPacket - direct.AllocatedPerPacket;
            Console.WriteLine($"SFU hop alone (forward - direct): {hopCpu:F2} CPU us/packet ({(hopCpu > 0 ? 1e6 / hopCpu : 0):N0} packets/s per core), " +
                              $"{hopAlloc:F0} B allocated/packet");
        }
        sampler?.Print();
        return 0;
    }

    /// <summary>Sums the runtime's allocation sampling events (GCAllocationTick) by the type they name.</summary>
    private sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
            var type = e.PayloadNames!.IndexOf("TypeName") is var i and >= 0 ? e.Payload[i]?.ToString() ?? "?" : "?";
            var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var j and >= 0 ? Convert.ToInt64(e.Payload[j]) : 100_000;
            _bytes.AddOrUpdate(type, amount, (_, b) => b + amount);
        }

        public void Print()
        {
            Console.WriteLine("allocation samples (bytes attributed, top 15):");
            foreach (var (type, bytes) in _bytes.OrderByDescending(x => x.Value).Take(15)) Console.WriteLine($"  {bytes,12:N0}  {type}");
        }
    }

    private static void Print(string name, Result r) =>
        Console.WriteLine($"{name}: sent {r.Sent}, forwarded {r.Forwarded}, received {r.Received} in {r.Seconds:F2} s: " +
                          $"{r.Received / r.Seconds:N0} packets/s, {r.Received * PacketLength * 8 / r.Seconds / 1e6:F0} Mbit/s, " +
                          $"{r.CpuMicrosPerPacket:F2} CPU us/packet (process), {r.AllocatedPerPacket:F0} B allocated/packet, " +
                          $"{r.Gen0} gen0 GCs, dropped in SFU queue {r.DroppedAtSfu}");

    public readonly record struct Result(long Sent, long Forwarded, long Received, double Seconds, double CpuMicrosPerPacket,
        double AllocatedPerPacket, int Gen0, long DroppedAtSfu);

    /// <summary>Publisher with two tracks (one to the SFU, one straight to the subscriber), the SFU's two PeerConnections, the subscriber's two.</summary>
    private sealed class Chain : IAsyncDisposable
    {
        private readonly List<PeerConnection> _all = [];
        private TrackLocalStaticRtp _toSfu = null!, _toSubscriber = null!, _sfuOut = null!;
        private TrackRemote? _sfuIn;
        private long _forwarded, _received;
        private readonly SemaphoreSlim _progress = new(0);
        private CancellationTokenSource _stop = new();

        public static async Task<Chain> ConnectAsync(SettingEngine settings)
        {
            var c = new Chain();
            var publisher = c.New(settings); var sfuIn = c.New(settings);
            var sfuOut = c.New(settings); var subscriber = c.New(settings);
            var publisherDirect = c.New(settings); var subscriberDirect = c.New(settings);
            c._toSfu = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "publisher");
            c._sfuOut = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "sfu");
            c._toSubscriber = new TrackLocalStaticRtp(RtpCodecCapability.Vp8, "video", "direct");
            var senders = new[] { publisher.AddTrack(c._toSfu), sfuOut.AddTrack(c._sfuOut), publisherDirect.AddTrack(c._toSubscriber) };
            var sfuTrack = new TaskCompletionSource<TrackRemote>(TaskCreationOptions.RunContinuationsAsynchronously);
            sfuIn.OnTrack += (track, _) => sfuTrack.TrySetResult(track);
            subscriber.OnTrack += (track, receiver) => _ = c.CountAsync(track);
            subscriberDirect.OnTrack += (track, receiver) => _ = c.CountAsync(track);
            await NegotiateAsync(publisher, sfuIn);
            await NegotiateAsync(sfuOut, subscriber);
            await NegotiateAsync(publisherDirect, subscriberDirect);
            var deadline = Stopwatch.StartNew();
            while (!senders.All(s => s.CanSend))
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("the peers did not connect");
                await Task.Delay(5);
            }
            // The SFU's track appears with the first packet: send one, then start forwarding.
            c._toSfu.WriteRtp(Packet(0));
            c._sfuIn = await sfuTrack.Task.WaitAsync(TimeSpan.FromSeconds(10));
            _ = c.ForwardAsync(c._sfuIn);
            return c;
        }

        private PeerConnection New(SettingEngine settings)
        {
            var pc = new PeerConnection(null, settings);
            _all.Add(pc);
            return pc;
        }

        private static async Task NegotiateAsync(PeerConnection offerer, PeerConnection answerer)
        {
            await offerer.SetLocalDescriptionAsync(await offerer.CreateOfferAsync());
            await offerer.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10));
            await answerer.SetRemoteDescriptionAsync(offerer.LocalDescription!);
            await answerer.SetLocalDescriptionAsync(await answerer.CreateAnswerAsync());
            await answerer.GatheringComplete.WaitAsync(TimeSpan.FromSeconds(10));
            await offerer.SetRemoteDescriptionAsync(answerer.LocalDescription!);
        }

        /// <summary>The SFU: every packet of the incoming track goes out on the outgoing one (public API only).</summary>
        private async Task ForwardAsync(TrackRemote track)
        {
            try
            {
                var buffer = new byte[1500];
                while (true)
                {
                    // Into our own buffer, no token: nothing is allocated per packet. Closing the connection ends the track.
                    var n = await track.ReadRtpAsync(buffer).ConfigureAwait(false);
                    _sfuOut.WriteRtp(buffer.AsSpan(0, n));
                    Interlocked.Increment(ref _forwarded);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidStateException) { }
        }

        private async Task CountAsync(TrackRemote track)
        {
            try
            {
                var buffer = new byte[1500];
                while (true)
                {
                    await track.ReadRtpAsync(buffer).ConfigureAwait(false);
                    if ((Interlocked.Increment(ref _received) & 31) == 0) _progress.Release();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidStateException) { }
        }

        private ushort _directSeq = 1, _forwardSeq = 1; // one sequence per stream: each receiver sees its own stream continue
        private static readonly byte[] Template = Packet(0);

        private static byte[] Packet(ushort seq)
        {
            var b = new byte[PacketLength];
            new Core.Entropy(5).Fill(b);
            var w = new RtpWriter(b);
            w.WriteHeader(new RtpHeader(false, 96, seq, seq * 3000u, 0x1111));
            return b;
        }

        public async Task<Result> RunAsync(bool direct, int count, double seconds)
        {
            await Task.Delay(200); // let the previous phase drain
            var track = direct ? _toSubscriber : _toSfu;
            var (forwarded0, received0) = (Interlocked.Read(ref _forwarded), Interlocked.Read(ref _received));
            var dropped0 = _sfuIn?.Dropped ?? 0;
            var packet = (byte[])Template.Clone();
            var process = Process.GetCurrentProcess();
            GC.Collect();
            var gen0 = GC.CollectionCount(0);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(seconds);
            long sent = 0;
            while (sent < count && clock.Elapsed < limit)
            {
                // At most Window packets in flight: wait for the subscriber (a short timeout covers losses).
                while (sent - (Interlocked.Read(ref _received) - received0) > Window && clock.Elapsed < limit)
                    await _progress.WaitAsync(TimeSpan.FromMilliseconds(2)).ConfigureAwait(false);
                var seq = direct ? _directSeq++ : _forwardSeq++;
                packet[2] = (byte)(seq >> 8);
                packet[3] = (byte)seq;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 3000u);
                track.WriteRtp(packet);
                sent++;
            }
            // Whatever is still in flight arrives within a moment.
            var settle = Stopwatch.StartNew();
            while (Interlocked.Read(ref _received) - received0 < sent && settle.Elapsed < TimeSpan.FromSeconds(1))
                await _progress.WaitAsync(TimeSpan.FromMilliseconds(2)).ConfigureAwait(false);
            var elapsed = clock.Elapsed.TotalSeconds;
            process.Refresh();
            var cpuMicros = (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000;
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            var received = Interlocked.Read(ref _received) - received0;
            var n = Math.Max(1, received);
            return new Result(sent, Interlocked.Read(ref _forwarded) - forwarded0, received, elapsed, cpuMicros / n, (double)bytes / n,
                GC.CollectionCount(0) - gen0, (_sfuIn?.Dropped ?? 0) - dropped0);
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            foreach (var pc in _all) await pc.DisposeAsync();
            _stop.Dispose();
        }
    }
}
