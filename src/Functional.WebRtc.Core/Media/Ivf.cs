using System.Buffers.Binary;
using System.Text;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// The 32-byte IVF file header: "DKIF", version 0, header size 32, a FourCC ("VP80", "VP90", "AV01"), size,
/// the time base (rate = denominator, scale = numerator: timestamps count numerator/denominator seconds) and the frame count.
/// </summary>
public sealed record IvfHeader(string FourCc, ushort Width, ushort Height, uint TimebaseDenominator, uint TimebaseNumerator, uint FrameCount)
{
    public const string Vp8 = "VP80";
    public const string Vp9 = "VP90";
    public const string Av1 = "AV01";
}

/// <summary>One IVF frame: its timestamp (in time-base units) and bytes.</summary>
public sealed record IvfFrame(ulong Timestamp, Bytes Data);

public sealed record IvfFile(IvfHeader Header, Seq<IvfFrame> Frames);

/// <summary>IVF reading and writing over bytes (the shell reads and writes the files).</summary>
public static class Ivf
{
    public const int HeaderSize = 32;
    public const int FrameHeaderSize = 12;

    public static bool TryReadHeader(ReadOnlySpan<byte> b, out IvfHeader header, out RtcError? error)
    {
        header = null!;
        error = null;
        if (b.Length < HeaderSize) { error = new RtcError.Syntax("IVF header shorter than 32 bytes", 0, b.Length); return false; }
        if (!b[..4].SequenceEqual("DKIF"u8)) { error = new RtcError.Syntax("IVF signature is not DKIF", 0, 0); return false; }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(b[4..]);
        var size = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]);
        if (version != 0) { error = new RtcError.NotSupported($"IVF version {version}"); return false; }
        if (size < HeaderSize || size > b.Length) { error = new RtcError.Syntax("IVF header size invalid", 0, 6); return false; }
        header = new IvfHeader(Encoding.ASCII.GetString(b.Slice(8, 4)),
            BinaryPrimitives.ReadUInt16LittleEndian(b[12..]), BinaryPrimitives.ReadUInt16LittleEndian(b[14..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[16..]), BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[24..]));
        return true;
    }

    /// <summary>Reads the frame at the start of <paramref name="b"/> (zero-copy); <paramref name="consumed"/> includes its 12-byte header.</summary>
    public static bool TryReadFrame(ReadOnlySpan<byte> b, out ulong timestamp, out ReadOnlySpan<byte> data, out int consumed, out RtcError? error)
    {
        timestamp = 0; data = default; consumed = 0; error = null;
        if (b.Length < FrameHeaderSize) { error = new RtcError.Syntax("IVF frame header truncated"); return false; }
        var size = BinaryPrimitives.ReadUInt32LittleEndian(b);
        if (size > (uint)(b.Length - FrameHeaderSize)) { error = new RtcError.Syntax("IVF frame truncated"); return false; }
        timestamp = BinaryPrimitives.ReadUInt64LittleEndian(b[4..]);
        data = b.Slice(FrameHeaderSize, (int)size);
        consumed = FrameHeaderSize + (int)size;
        return true;
    }

    public static Either<RtcError, IvfFile> Read(ReadOnlySpan<byte> file)
    {
        if (!TryReadHeader(file, out var header, out var error)) return Left<RtcError, IvfFile>(error!);
        var o = (int)BinaryPrimitives.ReadUInt16LittleEndian(file[6..]);
        var frames = new List<IvfFrame>();
        while (o < file.Length)
        {
            if (!TryReadFrame(file[o..], out var ts, out var data, out var n, out error)) return Left<RtcError, IvfFile>(error!);
            frames.Add(new IvfFrame(ts, Bytes.Copy(data)));
            o += n;
        }
        return Right<RtcError, IvfFile>(new IvfFile(header, frames.ToSeq()));
    }

    public static void WriteHeader(Span<byte> b, IvfHeader h)
    {
        "DKIF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], HeaderSize);
        for (var i = 0; i < 4; i++) b[8 + i] = i < h.FourCc.Length ? (byte)h.FourCc[i] : (byte)' ';
        BinaryPrimitives.WriteUInt16LittleEndian(b[12..], h.Width);
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], h.Height);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], h.TimebaseDenominator);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], h.TimebaseNumerator);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], h.FrameCount);
        BinaryPrimitives.WriteUInt32LittleEndian(b[28..], 0);
    }

    /// <summary>Writes one frame (12-byte header and data); returns the bytes written.</summary>
    public static int WriteFrame(Span<byte> b, ulong timestamp, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)data.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(b[4..], timestamp);
        data.CopyTo(b[FrameHeaderSize..]);
        return FrameHeaderSize + data.Length;
    }

    /// <summary>A whole file; the header's frame count is set to the number of frames.</summary>
    public static byte[] Write(IvfHeader header, Seq<IvfFrame> frames)
    {
        var output = new byte[HeaderSize + frames.Sum(f => FrameHeaderSize + f.Data.Length)];
        WriteHeader(output, header with { FrameCount = (uint)frames.Count });
        var o = HeaderSize;
        foreach (var f in frames) o += WriteFrame(output.AsSpan(o), f.Timestamp, f.Data.Span);
        return output;
    }
}
