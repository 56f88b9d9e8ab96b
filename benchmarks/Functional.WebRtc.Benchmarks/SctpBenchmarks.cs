using BenchmarkDotNet.Attributes;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sctp;
using LanguageExt;

namespace Functional.WebRtc.Benchmarks;

/// <summary>
/// SCTP core costs: chunk codec, CRC32c, and two associations moving 64 MiB in 64 KiB messages through a perfect
/// in-memory link (no sockets, no DTLS), one reliable ordered stream. MB/s = 64 MiB / mean of Transfer64MiB.
/// </summary>
[MemoryDiagnoser]
public class SctpBenchmarks
{
    private const int Total = 64 << 20;
    private const int MessageSize = 64 << 10;
    private byte[] _dataPacket = [];
    private SctpChunk.Sack _sack = null!;
    private byte[] _payload = [];

    [Params(false, true)]
    public bool ZeroChecksum { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[MessageSize];
        new Random(1).NextBytes(_payload);
        var chunk = new SctpChunk.Data(false, true, false, false, 1234, 1, 7, 53, _payload.AsMemory(0, 1172));
        _dataPacket = SctpPacket.Write(5000, 5000, 0xAABBCCDD, [chunk]);
        _sack = new SctpChunk.Sack(1000, 1 << 20, Prelude.Array(new GapAckBlock(2, 5), new GapAckBlock(8, 9)), Arr<uint>.Empty);
    }

    [Benchmark]
    public int ParseDataPacket() => SctpPacket.TryParse(_dataPacket, out var p, out _) ? p.Chunks.Count : -1;

    [Benchmark]
    public bool VerifyChecksum1200() => SctpPacket.ChecksumValid(_dataPacket, false);

    [Benchmark]
    public byte[] WriteSackPacket() => SctpPacket.Write(5000, 5000, 1, [_sack]);

    [Benchmark(OperationsPerInvoke = 1)]
    public long Transfer64MiB()
    {
        var cfg = SctpConfig.Default with { InitialCwnd = 1 << 20, ReceiveWindow = 1u << 20, ZeroChecksum = ZeroChecksum };
        var a = SctpAssociation.Create(cfg, new Entropy(1));
        var b = SctpAssociation.Create(cfg, new Entropy(2));
        var now = TimeSpan.Zero;
        var toA = new List<byte[]>();
        var toB = new List<byte[]>();
        long delivered = 0;
        void Route(Seq<SctpOutput> outputs, List<byte[]> to)
        {
            foreach (var o in outputs)
                if (o is SctpOutput.Transmit t) to.Add(t.Packet);
                else if (o is SctpOutput.Delivered d) delivered += d.Payload.Length;
        }
        var s = SctpAssociation.Handle(a, new SctpInput.Associate(now)); a = s.State; Route(s.Outputs, toB);
        var sent = 0;
        while (delivered < Total)
        {
            now += TimeSpan.FromMicroseconds(50);
            // Keep about two messages queued, as a data channel with a bufferedAmountLow threshold would.
            while (sent < Total && a.State == SctpState.Established && a.BufferedAmount(1) < 2 * MessageSize)
            {
                s = SctpAssociation.Handle(a, new SctpInput.Send(now, 1, 53, _payload)); a = s.State; Route(s.Outputs, toB);
                sent += MessageSize;
            }
            if (toB.Count > 0) { s = SctpAssociation.Handle(b, new SctpInput.ReceivedBatch(now, toB.ToArray())); toB.Clear(); b = s.State; Route(s.Outputs, toA); }
            if (toA.Count > 0) { s = SctpAssociation.Handle(a, new SctpInput.ReceivedBatch(now, toA.ToArray())); toA.Clear(); a = s.State; Route(s.Outputs, toB); }
            else { s = SctpAssociation.Handle(a, new SctpInput.Tick(now)); a = s.State; Route(s.Outputs, toB); }
        }
        return delivered;
    }
}

/// <summary>64 MiB in 64 KiB binary messages over one reliable ordered data channel (DCEP, two DataChannelMachines, no DTLS).</summary>
[MemoryDiagnoser]
public class SctpDataChannelBenchmarks
{
    private const int Total = 64 << 20;
    private const int MessageSize = 64 << 10;
    private readonly byte[] _payload = new byte[MessageSize];

    [Benchmark]
    public long DataChannelTransfer64MiB()
    {
        var cfg = Functional.WebRtc.Core.Sctp.SctpConfig.HighThroughput;
        var a = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Create(cfg, new Functional.WebRtc.Core.Entropy(1));
        var b = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Create(cfg, new Functional.WebRtc.Core.Entropy(2));
        var now = TimeSpan.Zero;
        var toA = new List<byte[]>();
        var toB = new List<byte[]>();
        long received = 0;
        var handle = 0;
        void Route(LanguageExt.Seq<Functional.WebRtc.Core.DataChannels.DataChannelOutput> outputs, List<byte[]> to)
        {
            foreach (var o in outputs)
                switch (o)
                {
                    case Functional.WebRtc.Core.DataChannels.DataChannelOutput.Transmit t: to.Add(t.Packet); break;
                    case Functional.WebRtc.Core.DataChannels.DataChannelOutput.MessageReceived m: received += m.Data.Length; break;
                    case Functional.WebRtc.Core.DataChannels.DataChannelOutput.ChannelCreated c: handle = c.Channel.Handle; break;
                }
        }
        var s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(a, new Functional.WebRtc.Core.DataChannels.DataChannelInput.Create(now, new("bench")));
        a = s.State; Route(s.Outputs, toB);
        s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(a, new Functional.WebRtc.Core.DataChannels.DataChannelInput.Start(now, true, 256 << 10)); a = s.State; Route(s.Outputs, toB);
        s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(b, new Functional.WebRtc.Core.DataChannels.DataChannelInput.Start(now, false, 256 << 10)); b = s.State; Route(s.Outputs, toA);
        var sent = 0;
        for (var guard = 0; received < Total && guard < 10_000_000; guard++)
        {
            now += TimeSpan.FromMicroseconds(50);
            var ch = a.Channels.Find(handle);
            while (sent < Total && ch.Exists(c => c.ReadyState == DataChannelReadyState.Open && c.BufferedAmount < 2 * MessageSize))
            {
                s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(a, new Functional.WebRtc.Core.DataChannels.DataChannelInput.Send(now, handle, false, _payload));
                a = s.State; Route(s.Outputs, toB);
                sent += MessageSize;
                ch = a.Channels.Find(handle);
            }
            if (toB.Count > 0) { s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(b, new Functional.WebRtc.Core.DataChannels.DataChannelInput.ReceivedBatch(now, toB.ToArray())); toB.Clear(); b = s.State; Route(s.Outputs, toA); }
            if (toA.Count > 0) { s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(a, new Functional.WebRtc.Core.DataChannels.DataChannelInput.ReceivedBatch(now, toA.ToArray())); toA.Clear(); a = s.State; Route(s.Outputs, toB); }
            else { s = Functional.WebRtc.Core.DataChannels.DataChannelMachine.Handle(a, new Functional.WebRtc.Core.DataChannels.DataChannelInput.Tick(now)); a = s.State; Route(s.Outputs, toB); }
        }
        return received;
    }
}
