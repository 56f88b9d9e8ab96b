namespace Functional.WebRtc.Core;

/// <summary>
/// An immutable byte string that compares by content, so records holding payloads compare by value.
/// The constructor takes ownership of the array: do not mutate it afterwards (use <see cref="Copy"/> when unsure).
/// </summary>
public readonly struct Bytes : IEquatable<Bytes>
{
    private readonly byte[]? _array;

    public Bytes(byte[] array) => _array = array;
    /// <summary>Copies the span.</summary>
    public Bytes(ReadOnlySpan<byte> span) => _array = span.ToArray();

    public static Bytes Empty => default;
    public static Bytes Copy(ReadOnlySpan<byte> span) => span.IsEmpty ? default : new(span.ToArray());

    public int Length => _array?.Length ?? 0;
    public bool IsEmpty => Length == 0;
    public ReadOnlySpan<byte> Span => _array;
    public ReadOnlyMemory<byte> Memory => _array;
    public byte this[int index] => _array![index];
    public byte[] ToArray() => Span.ToArray();

    public static implicit operator Bytes(byte[] array) => new(array);
    public static implicit operator ReadOnlySpan<byte>(Bytes b) => b.Span;

    public bool Equals(Bytes other) => Span.SequenceEqual(other.Span);
    public override bool Equals(object? obj) => obj is Bytes b && Equals(b);
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Span);
        return h.ToHashCode();
    }
    public static bool operator ==(Bytes a, Bytes b) => a.Equals(b);
    public static bool operator !=(Bytes a, Bytes b) => !a.Equals(b);
    public override string ToString() => Length <= 64 ? Convert.ToHexString(Span) : $"{Convert.ToHexString(Span[..64])}... ({Length} bytes)";
}
