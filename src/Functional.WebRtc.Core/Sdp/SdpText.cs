using System.Runtime.CompilerServices;

namespace Functional.WebRtc.Core.Sdp;

/// <summary>
/// A piece of SDP text: a slice of the source description (no copy on parse) or a whole string.
/// Compares by content (ordinal), so models built from strings equal models parsed from text.
/// Converts implicitly from and to <see cref="string"/>, so <c>new SdpAttribute("mid", "0")</c> just works.
/// <c>default</c> is the "absent" text: <see cref="IsNull"/> is true and its content is empty.
/// </summary>
public readonly struct SdpText : IEquatable<SdpText>, IComparable<SdpText>
{
    private readonly string? source;
    private readonly int start;
    private readonly int length;

    public SdpText(string? text)
    {
        source = text;
        start = 0;
        length = text?.Length ?? 0;
    }

    /// <summary>A slice of <paramref name="text"/> (not copied).</summary>
    public SdpText(string text, int start, int length)
    {
        if ((uint)start > (uint)text.Length || (uint)length > (uint)(text.Length - start))
            throw new ArgumentOutOfRangeException(nameof(start));
        source = text;
        this.start = start;
        this.length = length;
    }

    // Used by the parser, which has already checked the bounds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal SdpText(string text, int start, int length, bool _)
    {
        source = text;
        this.start = start;
        this.length = length;
    }

    internal string? Source => source;
    internal int Start => start;

    public static readonly SdpText Empty = new(string.Empty);

    /// <summary>True for <c>default(SdpText)</c> (an absent value), false for any string, even "".</summary>
    public bool IsNull => source is null;
    public bool IsEmpty => length == 0;
    public int Length => length;
    public ReadOnlySpan<char> Span => source is null ? default : source.AsSpan(start, length);
    public ReadOnlyMemory<char> Memory => source is null ? default : source.AsMemory(start, length);
    public char this[int index] => Span[index];

    public SdpText Slice(int offset) => Slice(offset, length - offset);
    public SdpText Slice(int offset, int count)
    {
        if ((uint)offset > (uint)length || (uint)count > (uint)(length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset));
        return source is null ? default : new SdpText(source, start + offset, count, true);
    }

    /// <summary>The text as a string (no allocation when it is a whole string; null becomes "").</summary>
    public override string ToString() =>
        source is null ? string.Empty
        : start == 0 && length == source.Length ? source
        : source.Substring(start, length);

    public bool Equals(SdpText other) => Span.SequenceEqual(other.Span);
    public bool Equals(string? other) => Span.SequenceEqual(other.AsSpan());
    public bool Equals(ReadOnlySpan<char> other) => Span.SequenceEqual(other);
    public bool EqualsIgnoreCase(ReadOnlySpan<char> other) => Span.Equals(other, StringComparison.OrdinalIgnoreCase);
    public override bool Equals(object? obj) => obj switch
    {
        SdpText t => Equals(t),
        string s => Equals(s),
        _ => false,
    };
    public override int GetHashCode() => string.GetHashCode(Span, StringComparison.Ordinal);
    public int CompareTo(SdpText other) => Span.SequenceCompareTo(other.Span);

    public static bool operator ==(SdpText a, SdpText b) => a.Equals(b);
    public static bool operator !=(SdpText a, SdpText b) => !a.Equals(b);
    public static bool operator ==(SdpText a, string? b) => a.Equals(b);
    public static bool operator !=(SdpText a, string? b) => !a.Equals(b);
    public static bool operator ==(string? a, SdpText b) => b.Equals(a);
    public static bool operator !=(string? a, SdpText b) => !b.Equals(a);

    public static implicit operator SdpText(string? text) => new(text);
    public static implicit operator string(SdpText text) => text.ToString();
    public static implicit operator ReadOnlySpan<char>(SdpText text) => text.Span;
}
