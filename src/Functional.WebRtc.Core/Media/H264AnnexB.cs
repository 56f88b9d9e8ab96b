using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>H.264 NAL unit types we act on (ITU-T H.264 table 7-1; RFC 6184 section 5.2 for 24..29).</summary>
public static class H264NalType
{
    public const byte Slice = 1;
    public const byte Idr = 5;
    public const byte Sei = 6;
    public const byte Sps = 7;
    public const byte Pps = 8;
    public const byte AccessUnitDelimiter = 9;
    public const byte EndOfSequence = 10;
    public const byte EndOfStream = 11;
    public const byte Filler = 12;
    public const byte StapA = 24;
    public const byte StapB = 25;
    public const byte Mtap16 = 26;
    public const byte Mtap24 = 27;
    public const byte FuA = 28;
    public const byte FuB = 29;
}

/// <summary>Walks the NAL units of an H.264 Annex B byte stream (start codes 00 00 01 or 00 00 00 01), zero-copy.</summary>
public ref struct AnnexBNalEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public AnnexBNalEnumerator(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = FindStart(data, 0, out var len) is var s && s >= 0 ? s + len : data.Length;
        Current = default;
    }

    public ReadOnlySpan<byte> Current { get; private set; }
    public readonly AnnexBNalEnumerator GetEnumerator() => this;

    /// <summary>Index of the next 00 00 01 at or after <paramref name="from"/> (including a leading zero of a 4-byte code), or -1.</summary>
    private static int FindStart(ReadOnlySpan<byte> d, int from, out int length)
    {
        length = 0;
        if (from >= d.Length) return -1;
        var i = d[from..].IndexOf((ReadOnlySpan<byte>)[0, 0, 1]); // vectorized search
        if (i < 0) return -1;
        i += from;
        if (i > from && d[i - 1] == 0) { length = 4; return i - 1; }
        length = 3;
        return i;
    }

    public bool MoveNext()
    {
        while (_pos < _data.Length)
        {
            var next = FindStart(_data, _pos, out var len);
            var end = next < 0 ? _data.Length : next;
            var nal = _data[_pos..end];
            _pos = next < 0 ? _data.Length : next + len;
            // Trailing zero bytes belong to no NAL (trailing_zero_8bits).
            var trimmed = nal.Length;
            while (trimmed > 0 && nal[trimmed - 1] == 0) trimmed--;
            if (trimmed == 0) continue;
            Current = nal[..trimmed];
            return true;
        }
        return false;
    }
}

/// <summary>H.264 Annex B reading: NAL splitting and grouping into access units (frames).</summary>
public static class H264AnnexB
{
    public static readonly byte[] StartCode = [0, 0, 0, 1];

    public static Seq<Bytes> SplitNals(ReadOnlySpan<byte> stream)
    {
        var list = new List<Bytes>();
        foreach (var nal in new AnnexBNalEnumerator(stream)) list.Add(Bytes.Copy(nal));
        return list.ToSeq();
    }

    /// <summary>Joins NAL units into an Annex B stream with 4-byte start codes.</summary>
    public static Bytes Join(IEnumerable<Bytes> nals)
    {
        var output = new List<byte>();
        foreach (var n in nals) { output.AddRange(StartCode); output.AddRange(n.ToArray()); }
        return output.ToArray();
    }

    /// <summary>
    /// Groups NAL units into access units (H.264 7.4.1.2.3): an AUD, SPS, PPS or SEI, or a slice with first_mb_in_slice = 0
    /// after a slice, begins a new one. Each access unit is returned in Annex B form.
    /// </summary>
    public static Seq<Bytes> SplitAccessUnits(ReadOnlySpan<byte> stream)
    {
        var units = new List<Bytes>();
        var current = new List<Bytes>();
        var seenSlice = false;
        foreach (var nal in new AnnexBNalEnumerator(stream))
        {
            var type = nal[0] & 0x1F;
            var isSlice = type is >= 1 and <= 5;
            // first_mb_in_slice is ue(v): 0 is coded as a single 1 bit.
            var firstMb = isSlice && nal.Length > 1 && (nal[1] & 0x80) != 0;
            var startsNew = seenSlice && (type is H264NalType.AccessUnitDelimiter or H264NalType.Sps or H264NalType.Pps or H264NalType.Sei
                                          or >= 14 and <= 18 || firstMb);
            if (startsNew && current.Count > 0)
            {
                units.Add(Join(current));
                current.Clear();
                seenSlice = false;
            }
            current.Add(Bytes.Copy(nal));
            seenSlice |= isSlice;
        }
        if (current.Count > 0) units.Add(Join(current));
        return units.ToSeq();
    }
}
