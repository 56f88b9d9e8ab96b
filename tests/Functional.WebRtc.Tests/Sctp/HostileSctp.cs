using System.Buffers.Binary;
using System.Reflection;
using Functional.WebRtc.Core.Sctp;

namespace Functional.WebRtc.Tests.Sctp;

/// <summary>The kinds of malformed SCTP an authenticated (DTLS) but hostile peer can send.</summary>
public enum HostileKind
{
    RandomBytes,          // anything, almost always a bad checksum
    WrongTag,             // valid header and checksum, someone else's verification tag
    WrongChecksum,        // right tag, checksum off
    TruncatedChunk,       // a known chunk type shorter than its fixed part
    LengthPastEnd,        // a chunk length running past the end of the packet
    HugeLengths,          // declared counts/lengths inside chunks far beyond what is there (SACK counts, parameters, causes)
    UnknownChunk,         // chunk types we do not know, each of the four high-bit combinations, then a HEARTBEAT
    DataUnknownStream,    // DATA for streams no channel uses, at TSNs far from the real ones
    AbsurdTsn,            // DATA at TSNs far behind / half the space away, zero-length DATA, odd flag combinations
    SackManyGaps,         // SACK with thousands of gap blocks and duplicate TSNs (cum ack at, before and after the truth)
    ForwardTsnNonsense,   // FORWARD-TSN behind the cumulative TSN, with thousands of stream/SSN pairs
    ReConfigNonsense,     // RE-CONFIG with unknown/duplicate/odd parameters and absurd request sequence numbers
    InitWhenEstablished,  // INIT (tag 0) and INIT ACK / COOKIE ECHO / COOKIE ACK on an established association
}

/// <summary>
/// What the attacker knows about the association it attacks (from its own SCTP state): the ports, the victim's
/// verification tag, where its own TSNs started (its sending is far from that +/- 2^20) and a cumulative ack hint.
/// </summary>
public sealed record HostileTarget(ushort Port, uint VictimTag, uint AttackerInitialTsn, Func<uint> VictimTsnAcked);

/// <summary>A seeded generator of malformed SCTP packets (see <see cref="HostileKind"/>), sealed with a valid CRC32c unless the kind says otherwise.</summary>
public static class HostileSctp
{
    public static readonly HostileKind[] All = Enum.GetValues<HostileKind>();

    public static byte[] Make(HostileKind kind, Random r, HostileTarget t)
    {
        switch (kind)
        {
            case HostileKind.RandomBytes:
            {
                var b = new byte[r.Next(0, 1300)];
                r.NextBytes(b);
                return b;
            }
            case HostileKind.WrongTag:
                return Packet(t.Port, t.VictimTag ^ (uint)r.Next(1, int.MaxValue), Data(r, FarTsn(r, t), (ushort)r.Next(), 51, 1 + r.Next(200)));
            case HostileKind.WrongChecksum:
            {
                var p = Packet(t.Port, t.VictimTag, Data(r, FarTsn(r, t), (ushort)r.Next(), 51, 1 + r.Next(200)));
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(8)) ^ (uint)r.Next(1, int.MaxValue);
                BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), crc == 0 ? 1u : crc);
                return p;
            }
            case HostileKind.TruncatedChunk:
            {
                // Known types with less than their fixed part (DATA<16, INIT<20, SACK<16, SHUTDOWN<8, FWD-TSN<8...); not ABORT,
                // whose bare 4-byte form is a valid ABORT (a legitimate end, tested apart).
                byte[] types = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 64, 130, 192];
                var type = types[r.Next(types.Length)];
                var value = new byte[r.Next(0, 4)];
                r.NextBytes(value);
                return Packet(t.Port, TagFor(type, t), Chunk(type, (byte)r.Next(256) & ~1 & 0xFF, value));
            }
            case HostileKind.LengthPastEnd:
            {
                var p = Packet(t.Port, t.VictimTag, Data(r, FarTsn(r, t), 1000, 51, r.Next(1, 64)));
                var declared = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(14));
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(14), (ushort)Math.Min(ushort.MaxValue, declared + r.Next(1, 5000)));
                return Reseal(p);
            }
            case HostileKind.HugeLengths:
                return r.Next(5) switch
                {
                    // SACK declaring 65535 gap blocks and duplicates with none present.
                    0 => Packet(t.Port, t.VictimTag, Chunk(ChunkType.Sack, 0, Sack(t.VictimTsnAcked(), 65535, 65535, 0, r))),
                    // INIT parameter with a length past the chunk.
                    1 => Packet(t.Port, 0, Chunk(ChunkType.Init, 0, InitValue(r, [0x80, 0x08, 0xFF, 0xF0, 1, 2, 3, 4]))),
                    // ERROR chunk whose cause length runs past the end.
                    2 => Packet(t.Port, t.VictimTag, Chunk(ChunkType.Error, 0, [0, 6, 0xFF, 0xFF, 1, 2, 3, 4])),
                    // RE-CONFIG parameter with a huge length.
                    3 => Packet(t.Port, t.VictimTag, Chunk(ChunkType.ReConfig, 0, [0, 13, 0xFF, 0xFC, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3])),
                    // HEARTBEAT info parameter longer than the chunk.
                    _ => Packet(t.Port, t.VictimTag, Chunk(ChunkType.Heartbeat, 0, [0, 1, 0xFF, 0xFF, 9, 9, 9, 9])),
                };
            case HostileKind.UnknownChunk:
            {
                var high = (byte)(r.Next(4) << 6);
                byte type;
                do type = (byte)(high | r.Next(64)); while (Known(type));
                var value = new byte[r.Next(0, 300)];
                r.NextBytes(value);
                return Packet(t.Port, t.VictimTag, Chunk(type, (byte)r.Next(256), value), Chunk(ChunkType.Heartbeat, 0, [0, 1, 0, 8, 1, 2, 3, 4]));
            }
            case HostileKind.DataUnknownStream:
            {
                var sid = (ushort)r.Next(1000, 65536);
                uint ppid = (uint)(r.Next(3) switch { 0 => 50, 1 => 51, _ => r.Next() });
                var flags = r.Next(4); // B/E combinations: whole messages and lone fragments
                return Packet(t.Port, t.VictimTag, Data(r, FarTsn(r, t), sid, ppid, r.Next(0, 600), flags: (byte)(flags | (r.Next(2) == 0 ? 4 : 0))));
            }
            case HostileKind.AbsurdTsn:
            {
                uint tsn = r.Next(4) switch
                {
                    0 => t.AttackerInitialTsn - (uint)r.Next(1 << 20, int.MaxValue),                 // far behind (a duplicate)
                    1 => t.AttackerInitialTsn + 0x8000_0000u,                                          // exactly half the space away
                    2 => t.AttackerInitialTsn - 1,                                                     // just before the first real TSN
                    _ => FarTsn(r, t),
                };
                return Packet(t.Port, t.VictimTag, Data(r, tsn, (ushort)r.Next(1000, 65536), 51, r.Next(0, 3) == 0 ? 0 : r.Next(1, 100), flags: (byte)r.Next(16)));
            }
            case HostileKind.SackManyGaps:
            {
                var truth = t.VictimTsnAcked();
                var cum = r.Next(3) switch { 0 => truth, 1 => truth - (uint)r.Next(1, 1 << 20), _ => truth + (uint)r.Next(1, 1 << 20) };
                var gaps = r.Next(1000, 3500);
                var dups = r.Next(0, 400);
                return Packet(t.Port, t.VictimTag, Chunk(ChunkType.Sack, 0, Sack(cum, gaps, dups, Math.Max(0, gaps * 4 + dups * 4), r)));
            }
            case HostileKind.ForwardTsnNonsense:
            {
                var pairs = r.Next(0, 3000);
                var value = new byte[4 + 4 * pairs];
                BinaryPrimitives.WriteUInt32BigEndian(value, t.AttackerInitialTsn - (uint)r.Next(1, int.MaxValue));
                for (var i = 0; i < pairs; i++)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(4 + 4 * i), (ushort)r.Next(1000, 65536));
                    BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(6 + 4 * i), (ushort)r.Next());
                }
                return Packet(t.Port, t.VictimTag, Chunk(ChunkType.ForwardTsn, 0, value));
            }
            case HostileKind.ReConfigNonsense:
            {
                var parameters = new List<byte>();
                var count = r.Next(1, 6);
                for (var i = 0; i < count; i++)
                {
                    // 13 outgoing reset, 14 incoming reset, 15 SSN/TSN reset, 16 response, 17/18 add streams, others unknown.
                    var type = (ushort)(r.Next(3) == 0 ? r.Next() : r.Next(13, 19));
                    var body = new byte[r.Next(0, 40)];
                    r.NextBytes(body);
                    if (body.Length >= 4 && r.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(body, (uint)r.Next()); // absurd sequence number
                    var p = new byte[4 + body.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(p, type);
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
                    body.CopyTo(p, 4);
                    parameters.AddRange(p);
                    while (parameters.Count % 4 != 0) parameters.Add(0);
                }
                return Packet(t.Port, t.VictimTag, Chunk(ChunkType.ReConfig, 0, [.. parameters]));
            }
            case HostileKind.InitWhenEstablished:
                return r.Next(4) switch
                {
                    0 => Packet(t.Port, 0, Chunk(ChunkType.Init, 0, InitValue(r, []))),
                    1 => Packet(t.Port, t.VictimTag, Chunk(ChunkType.InitAck, 0, InitValue(r, [0, 7, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8]))),
                    2 => Packet(t.Port, t.VictimTag, Chunk(ChunkType.CookieEcho, 0, RandomBytes(r, r.Next(0, 200)))),
                    _ => Packet(t.Port, t.VictimTag, Chunk(ChunkType.CookieAck, 0, [])),
                };
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The attacker's initial TSN (a private, readonly field of its association: stable, no race to read it).</summary>
    public static uint InitialTsn(SctpAssociation a) =>
        (uint)typeof(SctpAssociation).GetField("_localInitialTsn", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(a)!;

    /// <summary>The cumulative TSN the attacker has received (what it would ack): an approximate hint when read from another thread.</summary>
    public static uint CumulativeTsn(SctpAssociation a) =>
        (uint)(long)typeof(SctpAssociation).GetField("_cumTsn", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(a)!;

    private static bool Known(byte type) => type is <= 14 or 15 or 64 or 130 or 132 or 192 or 0xC0;

    /// <summary>A verification tag the chunk type would carry to get past the tag check (INIT: 0).</summary>
    private static uint TagFor(byte type, HostileTarget t) => type == ChunkType.Init ? 0 : t.VictimTag;

    /// <summary>A TSN far ahead of anything the attacker really sends in a test (2^24..2^30 past its initial TSN).</summary>
    private static uint FarTsn(Random r, HostileTarget t) => t.AttackerInitialTsn + (uint)r.Next(1 << 24, 1 << 30);

    private static byte[] RandomBytes(Random r, int n) { var b = new byte[n]; r.NextBytes(b); return b; }

    public static byte[] Chunk(byte type, int flags, byte[] value)
    {
        var len = 4 + value.Length;
        var b = new byte[(len + 3) & ~3];
        b[0] = type; b[1] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)Math.Min(len, ushort.MaxValue));
        value.CopyTo(b, 4);
        return b;
    }

    private static byte[] Data(Random r, uint tsn, ushort sid, uint ppid, int payload, byte flags = 3)
    {
        var v = new byte[12 + payload];
        BinaryPrimitives.WriteUInt32BigEndian(v, tsn);
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(4), sid);
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(6), (ushort)r.Next());
        BinaryPrimitives.WriteUInt32BigEndian(v.AsSpan(8), ppid);
        r.NextBytes(v.AsSpan(12));
        return Chunk(ChunkType.Data, flags, v);
    }

    private static byte[] Sack(uint cum, int gaps, int dups, int bodyBytes, Random r)
    {
        var v = new byte[12 + Math.Min(bodyBytes, 14000)];
        BinaryPrimitives.WriteUInt32BigEndian(v, cum);
        BinaryPrimitives.WriteUInt32BigEndian(v.AsSpan(4), (uint)r.Next());
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(8), (ushort)gaps);
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(10), (ushort)dups);
        // Gap blocks: start/end offsets in every order (start > end, overlapping, 0, 65535) and random duplicates.
        r.NextBytes(v.AsSpan(12));
        return v;
    }

    private static byte[] InitValue(Random r, byte[] parameters)
    {
        var v = new byte[16 + parameters.Length];
        BinaryPrimitives.WriteUInt32BigEndian(v, (uint)r.Next(1, int.MaxValue));
        BinaryPrimitives.WriteUInt32BigEndian(v.AsSpan(4), (uint)r.Next());
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(8), (ushort)r.Next());
        BinaryPrimitives.WriteUInt16BigEndian(v.AsSpan(10), (ushort)r.Next());
        BinaryPrimitives.WriteUInt32BigEndian(v.AsSpan(12), (uint)r.Next());
        parameters.CopyTo(v, 16);
        return v;
    }

    private static byte[] Packet(ushort port, uint tag, params byte[][] chunks)
    {
        var b = new byte[SctpPacket.HeaderLength + chunks.Sum(c => c.Length)];
        SctpPacket.WriteHeader(b, port, port, tag);
        var o = SctpPacket.HeaderLength;
        foreach (var c in chunks) { c.CopyTo(b, o); o += c.Length; }
        SctpPacket.Seal(b, zeroChecksum: false);
        return b;
    }

    private static byte[] Reseal(byte[] p)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), 0);
        SctpPacket.Seal(p, zeroChecksum: false);
        return p;
    }
}
