using System.Buffers.Binary;
using System.Text;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Tests.Sctp;
using Xunit.Abstractions;

namespace Functional.WebRtc.Tests.DataChannels;

/// <summary>
/// A hostile but authenticated peer ("a", the attacker) at the reducer level: malformed SCTP packets that pass the DTLS
/// layer, and malformed DCEP carried by a's own (valid) association, are fed to "b" (the victim) between real messages
/// on an open channel. Any exception out of the reducer fails the test; afterwards b must still deliver every real
/// message intact and in order in both directions, keep its receive buffer within its window, and stay established.
/// </summary>
[Collection(Functional.WebRtc.Tests.Connection.HostilePeerCollection.Name)]
public class HostilePeerReducerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static (DcPair P, int A, int B) OpenChat(int seed)
    {
        var p = new DcPair(seed);
        var a = p.Create("a", new DataChannelOptions("chat"));
        p.Start();
        Assert.True(p.RunUntil(() => p.Of<DataChannelOutput.ChannelOpened>("b").Any(), Limit));
        var b = p.Of<DataChannelOutput.ChannelOpened>("b").Single().Channel.Handle;
        return (p, a, b);
    }

    private static HostileTarget Target(DcPair p) =>
        new(5000, p.A.Association.PeerVerificationTag, HostileSctp.InitialTsn(p.A.Association), () => HostileSctp.CumulativeTsn(p.A.Association));

    private static byte[] Message(string from, int i) => Encoding.UTF8.GetBytes($"{from}-{i}-" + new string((char)('a' + i % 26), i % 300));

    private static List<string> Received(DcPair p, string who, int handle) =>
        p.Of<DataChannelOutput.MessageReceived>(who).Where(m => m.Handle == handle).Select(m => Encoding.UTF8.GetString(m.Data)).ToList();

    public static TheoryData<HostileKind> Kinds() => new(HostileSctp.All);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MalformedSctpInsideDtlsNeitherThrowsNorCorruptsTheVictim(HostileKind kind)
    {
        var (p, a, b) = OpenChat(40 + (int)kind);
        var target = Target(p);
        var random = new Random(1000 + (int)kind);
        var sentByA = new List<string>();
        var sentByB = new List<string>();
        const int Packets = 1500;
        for (var i = 0; i < Packets; i++)
        {
            p.Apply("b", new DataChannelInput.Received(p.Now, HostileSctp.Make(kind, random, target)));
            if (i % 25 == 0)
            {
                var ma = Message("a", i); var mb = Message("b", i);
                p.Apply("a", new DataChannelInput.Send(p.Now, a, true, ma));
                p.Apply("b", new DataChannelInput.Send(p.Now, b, true, mb));
                sentByA.Add(Encoding.UTF8.GetString(ma));
                sentByB.Add(Encoding.UTF8.GetString(mb));
            }
            if (i % 10 == 0) p.RunUntil(() => false, TimeSpan.FromMilliseconds(5));
        }
        Assert.True(p.RunUntil(() => Received(p, "b", b).Count >= sentByA.Count && Received(p, "a", a).Count >= sentByB.Count, Limit),
            $"{kind}: b got {Received(p, "b", b).Count}/{sentByA.Count}, a got {Received(p, "a", a).Count}/{sentByB.Count}; b: {p.B.Association.DebugState()}");

        Assert.Equal(sentByA, Received(p, "b", b));
        Assert.Equal(sentByB, Received(p, "a", a));
        Assert.Equal(SctpState.Established, p.B.Association.State);
        Assert.Equal(SctpState.Established, p.A.Association.State);
        Assert.DoesNotContain(p.Events["b"], e => e is DataChannelOutput.ChannelClosed or DataChannelOutput.ChannelClosing);
        Assert.True(p.B.Association.ReceiveBufferHeld <= p.B.Association.Config.ReceiveWindow, $"b holds {p.B.Association.ReceiveBufferHeld} bytes");
        output.WriteLine($"{kind}: {sentByA.Count}+{sentByB.Count} messages intact; b errors {p.Of<DataChannelOutput.Error>("b").Count()}, " +
                         $"channels b opened {p.Of<DataChannelOutput.ChannelOpened>("b").Count()}; b: {p.B.Association.DebugState()}");
    }

    /// <summary>
    /// Regression: a peer that ignores our window could make us hold fragments without bound, by sending them at TSNs
    /// below the highest it sent first (hole fillers were exempt from the window) or far ahead (never delivered, never
    /// freed). Now a TSN beyond what a gap ack block can report is dropped, and hole fillers only up to twice the window.
    /// </summary>
    [Fact]
    public void FragmentsFromAPeerThatIgnoresOurWindowAreNotHeldWithoutBound()
    {
        var (p, a, b) = OpenChat(11);
        var window = p.B.Association.Config.ReceiveWindow;
        var cum = HostileSctp.CumulativeTsn(p.B.Association);
        const int Count = 3000; // 3000 x 1000 bytes: about three times the 1 MiB window
        var payload = new byte[12 + 1000];
        for (var i = Count; i >= 1; i--) // highest TSN first, then every hole below it
        {
            BinaryPrimitives.WriteUInt32BigEndian(payload, cum + 1 + (uint)i);
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(4), 2000);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(8), Ppid.Binary);
            var packet = RawPacket(p, HostileSctp.Chunk(ChunkType.Data, 2 /* B, never E */, payload));
            p.Apply("b", new DataChannelInput.Received(p.Now, packet));
        }
        Assert.InRange(p.B.Association.ReceiveBufferHeld, window / 2, 2L * window);
        var before = p.B.Association.ReceiveBufferHeld;
        BinaryPrimitives.WriteUInt32BigEndian(payload, cum + 1 + 70_000); // beyond any gap ack block
        p.Apply("b", new DataChannelInput.Received(p.Now, RawPacket(p, HostileSctp.Chunk(ChunkType.Data, 2, payload))));
        Assert.Equal(before, p.B.Association.ReceiveBufferHeld);
        // The victim still sends on the channel (the attacker's own direction is its own business: it used its TSNs).
        p.Apply("b", new DataChannelInput.Send(p.Now, b, true, Encoding.UTF8.GetBytes("still here")));
        Assert.True(p.RunUntil(() => Received(p, "a", a).Count == 1, Limit));
        Assert.Equal(["still here"], Received(p, "a", a));
    }

    private static byte[] RawPacket(DcPair p, byte[] chunk)
    {
        var b = new byte[SctpPacket.HeaderLength + chunk.Length];
        SctpPacket.WriteHeader(b, 5000, 5000, p.A.Association.PeerVerificationTag);
        chunk.CopyTo(b, SctpPacket.HeaderLength);
        SctpPacket.Seal(b, zeroChecksum: false);
        return b;
    }

    /// <summary>
    /// The one packet of the stream that may end things, a valid ABORT (or one whose tag is reflected), closes the victim's
    /// association cleanly: every channel closed, an error output instead of a throw on later sends, and hostile packets
    /// after the close are ignored without a throw.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AValidAbortClosesTheVictimCleanly(bool tagReflected)
    {
        var (p, _, b) = OpenChat(12);
        var tag = tagReflected ? p.A.Association.LocalVerificationTag : p.A.Association.PeerVerificationTag;
        var abort = new byte[SctpPacket.HeaderLength + 4];
        SctpPacket.WriteHeader(abort, 5000, 5000, tag);
        HostileSctp.Chunk(ChunkType.Abort, tagReflected ? 1 : 0, []).CopyTo(abort, SctpPacket.HeaderLength);
        SctpPacket.Seal(abort, zeroChecksum: false);
        p.Apply("b", new DataChannelInput.Received(p.Now, abort));
        Assert.Equal(SctpState.Closed, p.B.Association.State);
        Assert.Contains(p.Events["b"], e => e is DataChannelOutput.ChannelClosed c && c.Handle == b);
        p.Apply("b", new DataChannelInput.Send(p.Now, b, true, [1]));
        Assert.Contains(p.Events["b"], e => e is DataChannelOutput.Error { Handle: { } h } && h == b);
        var target = Target(p);
        var random = new Random(3);
        foreach (var kind in HostileSctp.All)
            for (var i = 0; i < 50; i++) p.Apply("b", new DataChannelInput.Received(p.Now, HostileSctp.Make(kind, random, target)));
        p.RunUntil(() => false, TimeSpan.FromSeconds(5)); // its timers run too, without a throw
        Assert.Equal(SctpState.Closed, p.B.Association.State);
    }

    /// <summary>Sends bytes on any stream with any PPID through a's real association (valid TSNs): what a hostile peer's stack can do.</summary>
    private static void SendRaw(DcPair p, ushort stream, uint ppid, byte[] payload)
    {
        var step = SctpAssociation.Handle(p.A.Association, new SctpInput.Send(p.Now, stream, ppid, payload));
        p.Side["a"] = p.A with { Association = step.State };
        foreach (var t in step.Outputs.OfType<SctpOutput.Transmit>()) p.Net.Send(p.Now, "a", "b", t.Packet);
    }

    private static byte[] Open(byte type, byte channelType, int labelLength, int protocolLength, int actualTail)
    {
        var b = new byte[12 + actualTail];
        b[0] = type; b[1] = channelType;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(8), (ushort)labelLength);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), (ushort)protocolLength);
        for (var i = 12; i < b.Length; i++) b[i] = (byte)'x';
        return b;
    }

    /// <summary>Malformed DCEP (RFC 8832 5) and PPIDs that make no sense, each on a stream of its own or on the open channel's.</summary>
    public static TheoryData<string, ushort, uint, byte[]> Dcep() => new()
    {
        { "open label past end", 2, Ppid.Dcep, Open(3, 0, 200, 0, 10) },
        { "open protocol past end", 4, Ppid.Dcep, Open(3, 0, 2, 300, 5) },
        { "open 65535/65535 lengths, no data", 6, Ppid.Dcep, Open(3, 0, 65535, 65535, 0) },
        { "open truncated header", 8, Ppid.Dcep, [3, 0, 0, 0, 0] },
        { "open unknown channel type", 10, Ppid.Dcep, Open(3, 0x7F, 0, 0, 0) },
        { "open invalid UTF-8 label", 12, Ppid.Dcep, [3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xC3, 0x28] },
        { "open wrong stream parity", 13, Ppid.Dcep, new DcepMessage.Open(DcepChannelType.Reliable, 0, 0, "odd", "").ToBytes() },
        { "unknown DCEP type", 14, Ppid.Dcep, [0x07, 1, 2, 3] },
        { "ack for no channel", 16, Ppid.Dcep, [DcepMessage.AckType] },
        { "one-byte dcep", 18, Ppid.Dcep, [0] },
        { "string on unopened stream", 20, Ppid.String, [0x41] },
        { "unknown ppid on unopened stream", 22, 12345, [1, 2, 3] },
        { "re-open on the open channel's stream", 0, Ppid.Dcep, new DcepMessage.Open(DcepChannelType.Reliable, 0, 0, "chat2", "").ToBytes() },
        { "ack again on the open channel", 0, Ppid.Dcep, [DcepMessage.AckType] },
        { "truncated open on the open channel", 0, Ppid.Dcep, Open(3, 0, 100, 100, 1) },
        { "unknown ppid on the open channel", 0, 777, [9, 9] },
        { "empty-string ppid with a body on the open channel", 0, Ppid.StringEmpty, [1, 2, 3, 4] },
        { "partial ppid on the open channel", 0, Ppid.StringPartial, Encoding.UTF8.GetBytes("partial") },
    };

    [Theory]
    [MemberData(nameof(Dcep))]
    public void MalformedDcepOnAValidAssociationNeitherThrowsNorBreaksTheOpenChannel(string name, ushort stream, uint ppid, byte[] payload)
    {
        var (p, a, b) = OpenChat(7);
        p.Apply("a", new DataChannelInput.Send(p.Now, a, true, Encoding.UTF8.GetBytes("before")));
        Assert.True(p.RunUntil(() => Received(p, "b", b).Count == 1, Limit));
        for (var i = 0; i < 3; i++) SendRaw(p, stream, ppid, payload); // repeated: a second copy hits whatever state the first left
        p.Apply("a", new DataChannelInput.Send(p.Now, a, true, Encoding.UTF8.GetBytes("after")));
        p.Apply("b", new DataChannelInput.Send(p.Now, b, true, Encoding.UTF8.GetBytes("reply")));
        Assert.True(p.RunUntil(() => Received(p, "b", b).Count >= 2 && Received(p, "a", a).Count >= 1, Limit),
            $"{name}: b got [{string.Join(",", Received(p, "b", b))}], a got [{string.Join(",", Received(p, "a", a))}]");
        // Empty-message and (deprecated) partial PPIDs are messages the peer may send (RFC 8831 6.6): delivered as such.
        string[] extra = ppid switch { Ppid.StringEmpty => ["", "", ""], Ppid.StringPartial when stream == 0 => ["partial", "partial", "partial"], _ => [] };
        Assert.Equal(["before", .. extra, "after"], Received(p, "b", b));
        Assert.Equal(["reply"], Received(p, "a", a));
        Assert.Equal(SctpState.Established, p.B.Association.State);
        output.WriteLine($"{name}: opened at b [{string.Join(",", p.Of<DataChannelOutput.ChannelOpened>("b").Select(o => $"{o.Channel.Label}#{o.Channel.Id}"))}], " +
                         $"errors at b [{string.Join("; ", p.Of<DataChannelOutput.Error>("b").Select(e => e.Reason.Message))}]");
    }
}
