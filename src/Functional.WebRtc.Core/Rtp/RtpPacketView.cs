using System.Buffers.Binary;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>The header-extension layout of an RTP packet (RFC 8285 section 4; RFC 3550 section 5.3.1 for others).</summary>
public enum RtpExtensionFormat : byte
{
    None = 0,
    /// <summary>Profile 0xBEDE: 4-bit id (1..14), 4-bit length-1 (1..16 bytes).</summary>
    OneByte = 1,
    /// <summary>Profile 0x100X: 8-bit id (1..255), 8-bit length (0..255 bytes).</summary>
    TwoByte = 2,
    /// <summary>Any other profile: kept as opaque bytes.</summary>
    Other = 3,
}

/// <summary>
/// A zero-copy, validated view of an RTP packet (RFC 3550 section 5.1) over the caller's bytes.
/// <see cref="TryParse"/> checks every length (CSRCs, extension block, each RFC 8285 element, padding),
/// so the accessors never read out of range and never allocate.
/// </summary>
public readonly ref struct RtpPacketView
{
    public const int FixedHeaderSize = 12;
    public const ushort OneByteProfile = 0xBEDE;
    public const ushort TwoByteProfile = 0x1000;

    /// <summary>The whole packet.</summary>
    public ReadOnlySpan<byte> Buffer { get; }
    /// <summary>Size of the fixed header, CSRCs and extension block.</summary>
    public int HeaderSize { get; }
    /// <summary>Offset of the extension words (after the 4-byte extension header), or -1.</summary>
    private readonly int _extensionOffset;
    private readonly int _extensionLength;
    /// <summary>Number of padding bytes at the end (including the count byte); 0 without the P bit.</summary>
    public int PaddingSize { get; }

    private RtpPacketView(ReadOnlySpan<byte> buffer, int headerSize, int extOffset, int extLength, int padding)
    {
        Buffer = buffer;
        HeaderSize = headerSize;
        _extensionOffset = extOffset;
        _extensionLength = extLength;
        PaddingSize = padding;
    }

    public int Version => Buffer[0] >> 6;
    public bool HasPadding => (Buffer[0] & 0x20) != 0;
    public bool HasExtension => (Buffer[0] & 0x10) != 0;
    public int CsrcCount => Buffer[0] & 0x0F;
    public bool Marker => (Buffer[1] & 0x80) != 0;
    public byte PayloadType => (byte)(Buffer[1] & 0x7F);
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(Buffer[2..]);
    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(Buffer[4..]);
    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(Buffer[8..]);
    public uint GetCsrc(int index) => BinaryPrimitives.ReadUInt32BigEndian(Buffer[(FixedHeaderSize + 4 * index)..]);

    /// <summary>The "defined by profile" 16 bits of the extension header (0xBEDE, 0x100X, or other), 0 when absent.</summary>
    public ushort ExtensionProfile => HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(Buffer[(_extensionOffset - 4)..]) : (ushort)0;
    public RtpExtensionFormat ExtensionFormat => FormatOf(HasExtension, ExtensionProfile);
    /// <summary>The extension words (without the 4-byte extension header).</summary>
    public ReadOnlySpan<byte> ExtensionData => HasExtension ? Buffer.Slice(_extensionOffset, _extensionLength) : default;
    public ReadOnlySpan<byte> Payload => Buffer[HeaderSize..(Buffer.Length - PaddingSize)];

    internal static RtpExtensionFormat FormatOf(bool present, ushort profile) =>
        !present ? RtpExtensionFormat.None
        : profile == OneByteProfile ? RtpExtensionFormat.OneByte
        : (profile & 0xFFF0) == TwoByteProfile ? RtpExtensionFormat.TwoByte
        : RtpExtensionFormat.Other;

    /// <summary>Parses and validates; on failure <paramref name="error"/> says what is wrong (never throws).</summary>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out RtpPacketView view, out RtcError? error)
    {
        view = default;
        error = null;
        if (buffer.Length < FixedHeaderSize) { error = new RtcError.Syntax("RTP packet shorter than 12 bytes", 0, buffer.Length); return false; }
        if (buffer[0] >> 6 != 2) { error = new RtcError.Syntax("RTP version is not 2", 0, 0); return false; }
        var cc = buffer[0] & 0x0F;
        var offset = FixedHeaderSize + 4 * cc;
        if (buffer.Length < offset) { error = new RtcError.Syntax("RTP CSRC list truncated", 0, buffer.Length); return false; }
        int extOffset = -1, extLength = 0;
        if ((buffer[0] & 0x10) != 0)
        {
            if (buffer.Length < offset + 4) { error = new RtcError.Syntax("RTP extension header truncated", 0, offset); return false; }
            var profile = BinaryPrimitives.ReadUInt16BigEndian(buffer[offset..]);
            extLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(buffer[(offset + 2)..]);
            extOffset = offset + 4;
            if (buffer.Length < extOffset + extLength) { error = new RtcError.Syntax("RTP extension block truncated", 0, extOffset); return false; }
            var format = FormatOf(true, profile);
            if (format is RtpExtensionFormat.OneByte or RtpExtensionFormat.TwoByte
                && !ValidateElements(buffer.Slice(extOffset, extLength), format))
            {
                error = new RtcError.Syntax("RTP header extension element overruns its block", 0, extOffset);
                return false;
            }
            offset = extOffset + extLength;
        }
        var padding = 0;
        if ((buffer[0] & 0x20) != 0)
        {
            // RFC 3550 5.1: the last octet counts the padding octets, itself included.
            padding = buffer[^1];
            if (padding == 0 || offset + padding > buffer.Length) { error = new RtcError.Syntax("RTP padding count invalid", 0, buffer.Length - 1); return false; }
        }
        view = new RtpPacketView(buffer, offset, extOffset, extLength, padding);
        return true;
    }

    private static bool ValidateElements(ReadOnlySpan<byte> data, RtpExtensionFormat format)
    {
        var e = new RtpExtensionEnumerator(data, format);
        while (e.MoveNext()) { }
        return !e.Malformed;
    }

    /// <summary>Enumerates RFC 8285 elements (empty for <see cref="RtpExtensionFormat.Other"/>). Zero allocation.</summary>
    public RtpExtensionEnumerator Extensions => new(ExtensionData, ExtensionFormat);

    /// <summary>Finds the element with this id (RFC 8285 ids are negotiated with a=extmap).</summary>
    public bool TryGetExtension(byte id, out ReadOnlySpan<byte> value)
    {
        foreach (var element in Extensions)
        {
            if (element.Id == id) { value = element.Data; return true; }
        }
        value = default;
        return false;
    }
}

/// <summary>One RFC 8285 element of a view: its id and its bytes.</summary>
public readonly ref struct RtpExtensionElement(byte id, ReadOnlySpan<byte> data)
{
    public byte Id { get; } = id;
    public ReadOnlySpan<byte> Data { get; } = data;
}

/// <summary>Walks the elements of a one-byte or two-byte header-extension block (RFC 8285 sections 4.2 and 4.3).</summary>
public ref struct RtpExtensionEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly RtpExtensionFormat _format;
    private int _pos;
    private RtpExtensionElement _current;

    public RtpExtensionEnumerator(ReadOnlySpan<byte> data, RtpExtensionFormat format)
    {
        _data = data;
        _format = format;
        _pos = 0;
        _current = default;
        Malformed = false;
    }

    /// <summary>True when an element claimed more bytes than the block holds.</summary>
    public bool Malformed { get; private set; }
    public readonly RtpExtensionElement Current => _current;
    public readonly RtpExtensionEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_format == RtpExtensionFormat.OneByte)
        {
            while (_pos < _data.Length)
            {
                var b = _data[_pos];
                if (b == 0) { _pos++; continue; }          // padding byte
                var id = b >> 4;
                if (id == 15) { _pos = _data.Length; return false; } // reserved: stop processing (RFC 8285 4.2)
                var len = (b & 0x0F) + 1;
                if (_pos + 1 + len > _data.Length) { Malformed = true; _pos = _data.Length; return false; }
                _current = new RtpExtensionElement((byte)id, _data.Slice(_pos + 1, len));
                _pos += 1 + len;
                return true;
            }
            return false;
        }
        if (_format == RtpExtensionFormat.TwoByte)
        {
            while (_pos < _data.Length)
            {
                var id = _data[_pos];
                if (id == 0) { _pos++; continue; }          // padding byte
                if (_pos + 2 > _data.Length) { Malformed = true; _pos = _data.Length; return false; }
                var len = _data[_pos + 1];
                if (_pos + 2 + len > _data.Length) { Malformed = true; _pos = _data.Length; return false; }
                _current = new RtpExtensionElement(id, _data.Slice(_pos + 2, len));
                _pos += 2 + len;
                return true;
            }
        }
        return false;
    }
}
