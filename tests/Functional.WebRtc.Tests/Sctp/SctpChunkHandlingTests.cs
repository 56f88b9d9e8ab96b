using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Testing;
using LanguageExt;

namespace Functional.WebRtc.Tests.Sctp;

public class SctpChunkHandlingTests
{
    private static (SctpPair Pair, uint TagOfB) Connected()
    {
        var p = new SctpPair(60, LinkProfile.Perfect);
        Assert.True(p.Connect());
        return (p, p.B.LocalVerificationTag);
    }

    private static SctpChunk.Data Data(SctpPair p, uint tsnOffset, byte fill) =>
        // A's next TSN is unknown from outside; send through A first to learn it from the wire instead.
        new(true, true, true, false, tsnOffset, 1, 0, 53, new byte[] { fill, fill, fill, fill });

    private static uint NextTsnOfA(SctpPair p)
    {
        // Send one message through A and read its TSN from the packet.
        var step = SctpAssociation.Handle(p.A, new SctpInput.Send(p.Now, 1, 53, new byte[] { 9 }));
        p.Side["a"] = step.State;
        var packet = step.Outputs.OfType<SctpOutput.Transmit>().Single().Packet;
        Assert.True(SctpPacket.TryParse(packet, out var parsed, out _));
        var d = parsed.Chunks.OfType<SctpChunk.Data>().Single();
        var s2 = SctpAssociation.Handle(p.B, new SctpInput.Received(p.Now, packet));
        p.Side["b"] = s2.State;
        Assert.Single(s2.Outputs.OfType<SctpOutput.Delivered>());
        return d.Tsn + 1;
    }

    private static Seq<SctpOutput> Deliver(SctpPair p, params SctpChunk[] chunks)
    {
        var bytes = SctpPacket.Write(5000, 5000, p.B.LocalVerificationTag, chunks);
        var step = SctpAssociation.Handle(p.B, new SctpInput.Received(p.Now, bytes));
        p.Side["b"] = step.State;
        return step.Outputs;
    }

    [Fact]
    public void UnknownChunkWithSkipAndReportBitsIsReportedAndTheRestProcessed()
    {
        var (p, _) = Connected();
        var tsn = NextTsnOfA(p);
        var outputs = Deliver(p, new SctpChunk.Unknown(0xC1, 0, [1, 2, 3]), Data(p, tsn, 7));
        Assert.Single(outputs.OfType<SctpOutput.Delivered>());
        var reply = outputs.OfType<SctpOutput.Transmit>().Select(t => SctpPacket.Parse(t.Packet).IfLeft(() => null!)).ToList();
        Assert.Contains(reply.SelectMany(r => r.Chunks), c => c is SctpChunk.Error e && e.Causes.Exists(x => x.Code == ErrorCause.UnrecognizedChunkType));
    }

    [Fact]
    public void UnknownChunkWithStopBitsDiscardsTheRestOfThePacket()
    {
        var (p, _) = Connected();
        var tsn = NextTsnOfA(p);
        var outputs = Deliver(p, new SctpChunk.Unknown(0x3F, 0, [1, 2, 3]), Data(p, tsn, 7));
        Assert.Empty(outputs.OfType<SctpOutput.Delivered>());
        var outputs2 = Deliver(p, new SctpChunk.Unknown(0x7F, 0, [1]), Data(p, tsn, 7));
        Assert.Empty(outputs2.OfType<SctpOutput.Delivered>());
        Assert.Contains(outputs2.OfType<SctpOutput.Transmit>().SelectMany(t => SctpPacket.Parse(t.Packet).Map(x => x.Chunks).IfLeft([])), c => c is SctpChunk.Error);
    }

    [Fact]
    public void BadChecksumAndWrongTagArePacketsDropped()
    {
        var (p, tagB) = Connected();
        var tsn = NextTsnOfA(p);
        var bytes = SctpPacket.Write(5000, 5000, tagB, [Data(p, tsn, 1)]);
        bytes[^1] ^= 0xFF;
        var s = SctpAssociation.Handle(p.B, new SctpInput.Received(p.Now, bytes));
        p.Side["b"] = s.State;
        Assert.Empty(s.Outputs.OfType<SctpOutput.Delivered>());
        var wrongTag = SctpPacket.Write(5000, 5000, tagB + 1, [Data(p, tsn, 1)]);
        s = SctpAssociation.Handle(p.B, new SctpInput.Received(p.Now, wrongTag));
        p.Side["b"] = s.State;
        Assert.Empty(s.Outputs.OfType<SctpOutput.Delivered>());
        // A zero checksum is refused when it was not negotiated.
        var zero = SctpPacket.Write(5000, 5000, tagB, [Data(p, tsn, 1)], zeroChecksum: true);
        s = SctpAssociation.Handle(p.B, new SctpInput.Received(p.Now, zero));
        Assert.Empty(s.Outputs.OfType<SctpOutput.Delivered>());
    }

    [Fact]
    public void DuplicateDataIsReportedInTheSackAndDeliveredOnce()
    {
        var (p, _) = Connected();
        var tsn = NextTsnOfA(p);
        var first = Deliver(p, Data(p, tsn, 5));
        var again = Deliver(p, Data(p, tsn, 5));
        Assert.Single(first.OfType<SctpOutput.Delivered>());
        Assert.Empty(again.OfType<SctpOutput.Delivered>());
        var sack = again.OfType<SctpOutput.Transmit>().SelectMany(t => SctpPacket.Parse(t.Packet).Map(x => x.Chunks).IfLeft([])).OfType<SctpChunk.Sack>().Single();
        Assert.Contains(tsn, sack.DuplicateTsns);
    }

    [Fact]
    public void ASingleDataPacketIsAcknowledgedAfterTheDelayedAckTimer()
    {
        var (p, _) = Connected();
        var tsn = NextTsnOfA(p); // B got one packet: the SACK waits
        var outputs = Deliver(p, Data(p, tsn, 3)); // second packet: SACK now (every second packet)
        Assert.Contains(outputs.OfType<SctpOutput.Transmit>().SelectMany(t => SctpPacket.Parse(t.Packet).Map(x => x.Chunks).IfLeft([])), c => c is SctpChunk.Sack);
        var third = Deliver(p, Data(p, tsn + 1, 3));
        Assert.Empty(third.OfType<SctpOutput.Transmit>());
        var wake = third.OfType<SctpOutput.WakeAt>().Single().At;
        Assert.Equal(p.Now + TimeSpan.FromMilliseconds(200), wake);
        var tick = SctpAssociation.Handle(p.B, new SctpInput.Tick(wake));
        p.Side["b"] = tick.State;
        var sack = tick.Outputs.OfType<SctpOutput.Transmit>().SelectMany(t => SctpPacket.Parse(t.Packet).Map(x => x.Chunks).IfLeft([])).OfType<SctpChunk.Sack>().Single();
        Assert.Equal(tsn + 1, sack.CumulativeTsnAck);
    }

    [Fact]
    public void HeartbeatsKeepAnIdleAssociationAliveAndDetectADeadPeer()
    {
        var p = new SctpPair(61, LinkProfile.Lossy(0, 10, 10));
        Assert.True(p.Connect());
        p.RunUntil(() => false, TimeSpan.FromMinutes(3));
        Assert.Equal(SctpState.Established, p.A.State);
        Assert.True(p.A.Stats.PacketsSent >= 4, p.A.Stats.ToString()); // heartbeats went out while idle
        p.Net.SetDown("a", "b", true);
        p.Net.SetDown("b", "a", true);
        Assert.True(p.RunUntil(() => p.A.State == SctpState.Closed && p.B.State == SctpState.Closed, TimeSpan.FromHours(2)));
        Assert.Contains(p.Errors["a"], e => e.Message.Contains("unreachable"));
    }

    [Fact]
    public void UnreachablePeerWithDataInFlightAbortsAfterMaxRetransmissions()
    {
        var p = new SctpPair(62, LinkProfile.Perfect);
        Assert.True(p.Connect());
        p.Net.SetDown("a", "b", true);
        p.Send("a", 1, new byte[3000]);
        Assert.True(p.RunUntil(() => p.A.State == SctpState.Closed, TimeSpan.FromHours(1)));
        Assert.InRange(p.A.Stats.T3Expiries, 10, 11);
    }
}
