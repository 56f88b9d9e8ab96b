namespace Functional.WebRtc.Core;

/// <summary>
/// A pure, seeded source of random values (SplitMix64). Reducers take one in their state or input and
/// return the advanced value, so the same seed always gives the same ufrags, tie-breakers, SSRCs and TSNs.
/// The shell seeds it from a cryptographic generator; tests seed it with a constant.
/// </summary>
public readonly record struct Entropy(ulong State)
{
    public (ulong Value, Entropy Next) NextUInt64()
    {
        var s = State + 0x9E3779B97F4A7C15UL;
        var z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31), new Entropy(s));
    }

    public (uint Value, Entropy Next) NextUInt32()
    {
        var (v, n) = NextUInt64();
        return ((uint)(v >> 32), n);
    }

    /// <summary>A string of <paramref name="length"/> characters from the ICE-char alphabet (RFC 8839: ALPHA / DIGIT / "+" / "/").</summary>
    public (string Value, Entropy Next) NextIceString(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        Span<char> chars = stackalloc char[length];
        var e = this;
        for (var i = 0; i < length; i++)
        {
            (var v, e) = e.NextUInt64();
            chars[i] = alphabet[(int)(v % (ulong)alphabet.Length)];
        }
        return (new string(chars), e);
    }

    /// <summary>Fills <paramref name="destination"/> with random bytes and returns the advanced source.</summary>
    public Entropy Fill(Span<byte> destination)
    {
        var e = this;
        for (var i = 0; i < destination.Length; i += 8)
        {
            (var v, e) = e.NextUInt64();
            for (var j = 0; j < 8 && i + j < destination.Length; j++)
                destination[i + j] = (byte)(v >> (8 * j));
        }
        return e;
    }
}
