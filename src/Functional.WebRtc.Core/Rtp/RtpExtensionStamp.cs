using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>
/// Sets one RFC 8285 header-extension element in an RTP packet in place: overwritten when an element with that id and
/// length is there, else appended to the packet's one-byte or two-byte block (or a new one-byte block), the payload
/// moving right to make room. Used to stamp the transport-wide sequence number on packets a sender sends.
/// </summary>
public static class RtpExtensionStamp
{
    /// <summary>The most a stamp of <paramref name="valueLength"/> bytes can grow a packet (extension header, element, padding).</summary>
    public static int MaxGrowth(int valueLength) => 4 + 2 + valueLength + 3;

    /// <summary>
    /// Sets element <paramref name="id"/> to <paramref name="value"/> in buffer[..length); the buffer must have room to
    /// grow. False (buffer unchanged) when the packet does not parse, its extension block is not RFC 8285, the id or
    /// value does not fit the block's form, an element of that id has another length, or the buffer is too small.
    /// </summary>
    public static bool TrySet(Span<byte> buffer, int length, byte id, ReadOnlySpan<byte> value, out int newLength)
    {
        newLength = length;
        if (id == 0 || length < 0 || length > buffer.Length) return false;
        if (!RtpPacketView.TryParse(buffer[..length], out var view, out _)) return false;
        var format = view.ExtensionFormat;
        var fixedEnd = RtpPacketView.FixedHeaderSize + 4 * view.CsrcCount;
        if (format == RtpExtensionFormat.None) return TryAddBlock(buffer, length, fixedEnd, id, value, out newLength);
        if (format == RtpExtensionFormat.Other) return false;
        var oneByte = format == RtpExtensionFormat.OneByte;
        if (oneByte ? id > 14 || value.Length is < 1 or > 16 : value.Length > 255) return false;

        var dataStart = fixedEnd + 4;
        var dataLength = view.ExtensionData.Length;
        var data = buffer.Slice(dataStart, dataLength);
        // Walk the elements: overwrite a match, else note where the last element ends (trailing padding is reused).
        var pos = 0;
        var used = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) { pos++; continue; }
            int elementId, len, head;
            if (oneByte)
            {
                elementId = data[pos] >> 4;
                if (elementId == 15) return false; // reserved id: the rest of the block is not ours to edit
                len = (data[pos] & 0x0F) + 1;
                head = 1;
            }
            else
            {
                elementId = data[pos];
                len = data[pos + 1];
                head = 2;
            }
            if (elementId == id)
            {
                if (len != value.Length) return false;
                value.CopyTo(data[(pos + head)..]);
                return true;
            }
            pos += head + len;
            used = pos;
        }
        var elementSize = (oneByte ? 1 : 2) + value.Length;
        var newDataLength = (used + elementSize + 3) / 4 * 4;
        var grow = Math.Max(0, newDataLength - dataLength);
        if (newDataLength / 4 > ushort.MaxValue || length + grow > buffer.Length) return false;
        var oldEnd = dataStart + dataLength;
        buffer[oldEnd..length].CopyTo(buffer[(oldEnd + grow)..]); // overlapping copy is safe for spans
        var target = buffer.Slice(dataStart + used, Math.Max(newDataLength, dataLength) - used);
        target.Clear();
        WriteElement(target, oneByte, id, value);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(fixedEnd + 2)..], (ushort)(Math.Max(newDataLength, dataLength) / 4));
        newLength = length + grow;
        return true;
    }

    private static bool TryAddBlock(Span<byte> buffer, int length, int fixedEnd, byte id, ReadOnlySpan<byte> value, out int newLength)
    {
        newLength = length;
        var oneByte = id <= 14 && value.Length is >= 1 and <= 16;
        if (!oneByte && value.Length > 255) return false;
        var elementSize = (oneByte ? 1 : 2) + value.Length;
        var dataLength = (elementSize + 3) / 4 * 4;
        var grow = 4 + dataLength;
        if (length + grow > buffer.Length) return false;
        buffer[fixedEnd..length].CopyTo(buffer[(fixedEnd + grow)..]);
        buffer[0] |= 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[fixedEnd..], oneByte ? RtpPacketView.OneByteProfile : RtpPacketView.TwoByteProfile);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(fixedEnd + 2)..], (ushort)(dataLength / 4));
        var data = buffer.Slice(fixedEnd + 4, dataLength);
        data.Clear();
        WriteElement(data, oneByte, id, value);
        newLength = length + grow;
        return true;
    }

    private static void WriteElement(Span<byte> at, bool oneByte, byte id, ReadOnlySpan<byte> value)
    {
        if (oneByte) at[0] = (byte)((id << 4) | (value.Length - 1));
        else { at[0] = id; at[1] = (byte)value.Length; }
        value.CopyTo(at[(oneByte ? 1 : 2)..]);
    }

    /// <summary>Sets the transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2).</summary>
    public static bool TrySetTransportSequenceNumber(Span<byte> buffer, int length, byte id, ushort seq, out int newLength)
    {
        Span<byte> value = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(value, seq);
        return TrySet(buffer, length, id, value, out newLength);
    }
}
