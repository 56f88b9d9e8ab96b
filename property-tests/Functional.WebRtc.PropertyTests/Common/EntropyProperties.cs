using Functional.WebRtc.Core;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Common;

public class EntropyProperties
{
    [Property]
    public bool SameSeedGivesSameValues(ulong seed) =>
        new Entropy(seed).NextUInt64() == new Entropy(seed).NextUInt64();

    [Property]
    public bool IceStringsUseIceCharsOnly(ulong seed, byte length)
    {
        var (s, _) = new Entropy(seed).NextIceString(length);
        return s.Length == length && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/');
    }
}
