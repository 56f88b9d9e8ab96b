using System.Buffers.Binary;
using System.Text;
using LanguageExt;

namespace Functional.WebRtc.Core.DataChannels;

/// <summary>SCTP payload protocol identifiers used by WebRTC (RFC 8831 8, RFC 8832 8.1).</summary>
public static class Ppid
{
    public const uint Dcep = 50, String = 51, BinaryPartial = 52, Binary = 53, StringPartial = 54, StringEmpty = 56, BinaryEmpty = 57;
}

/// <summary>DATA_CHANNEL_OPEN channel types (RFC 8832 5.1): high bit = unordered, low bits = reliability kind.</summary>
public enum DcepChannelType : byte
{
    Reliable = 0x00,
    ReliableUnordered = 0x80,
    PartialReliableRexmit = 0x01,
    PartialReliableRexmitUnordered = 0x81,
    PartialReliableTimed = 0x02,
    PartialReliableTimedUnordered = 0x82,
}

/// <summary>Data Channel Establishment Protocol messages (RFC 8832 5).</summary>
public abstract record DcepMessage
{
    public const byte OpenType = 0x03, AckType = 0x02;

    /// <summary>DATA_CHANNEL_OPEN. ReliabilityParameter: retransmissions (rexmit) or milliseconds (timed); 0 for reliable.</summary>
    public sealed record Open(DcepChannelType ChannelType, ushort Priority, uint ReliabilityParameter, string Label, string Protocol) : DcepMessage
    {
        public bool Unordered => ((byte)ChannelType & 0x80) != 0;
    }

    /// <summary>DATA_CHANNEL_ACK.</summary>
    public sealed record Ack : DcepMessage;

    public byte[] ToBytes()
    {
        switch (this)
        {
            case Open o:
                var label = Encoding.UTF8.GetBytes(o.Label);
                var protocol = Encoding.UTF8.GetBytes(o.Protocol);
                var b = new byte[12 + label.Length + protocol.Length];
                b[0] = OpenType;
                b[1] = (byte)o.ChannelType;
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), o.Priority);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), o.ReliabilityParameter);
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(8), (ushort)label.Length);
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(10), (ushort)protocol.Length);
                label.CopyTo(b, 12);
                protocol.CopyTo(b, 12 + label.Length);
                return b;
            default:
                return [AckType];
        }
    }

    /// <summary>Parses a DCEP message; never throws.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out DcepMessage message, out RtcError? error)
    {
        message = null!; error = null;
        if (s.Length == 0) { error = new RtcError.Syntax("empty DCEP message"); return false; }
        switch (s[0])
        {
            case AckType:
                message = new Ack();
                return true;
            case OpenType:
            {
                if (s.Length < 12) { error = new RtcError.Syntax("DATA_CHANNEL_OPEN shorter than 12 bytes"); return false; }
                var type = s[1];
                if ((type & 0x7F) > 2) { error = new RtcError.Syntax($"unknown DCEP channel type 0x{type:x2}", 0, 1); return false; }
                int ll = BinaryPrimitives.ReadUInt16BigEndian(s[8..]), pl = BinaryPrimitives.ReadUInt16BigEndian(s[10..]);
                if (12 + ll + pl > s.Length) { error = new RtcError.Syntax("DATA_CHANNEL_OPEN label/protocol exceed the message"); return false; }
                var label = s.Slice(12, ll);
                var protocol = s.Slice(12 + ll, pl);
                if (!System.Text.Unicode.Utf8.IsValid(label) || !System.Text.Unicode.Utf8.IsValid(protocol))
                {
                    error = new RtcError.Syntax("DATA_CHANNEL_OPEN label or protocol is not UTF-8");
                    return false;
                }
                message = new Open((DcepChannelType)type, BinaryPrimitives.ReadUInt16BigEndian(s[2..]), BinaryPrimitives.ReadUInt32BigEndian(s[4..]),
                    Encoding.UTF8.GetString(label), Encoding.UTF8.GetString(protocol));
                return true;
            }
            default:
                error = new RtcError.Syntax($"unknown DCEP message type 0x{s[0]:x2}", 0, 0);
                return false;
        }
    }

    public static Either<RtcError, DcepMessage> Parse(ReadOnlySpan<byte> s) =>
        TryParse(s, out var m, out var e) ? Prelude.Right<RtcError, DcepMessage>(m) : Prelude.Left<RtcError, DcepMessage>(e!);
}
