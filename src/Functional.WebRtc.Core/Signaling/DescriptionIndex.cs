using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>
/// Lookups by mid in a parsed description. The mids of a <see cref="SessionDescription"/>'s parse are read once and kept
/// with the description (<see cref="SessionDescription.MidsOf"/>), next to the parse itself.
/// </summary>
internal static class DescriptionIndex
{
    /// <summary>The a=mid of each m-section (as <see cref="Jsep.Mid"/> reads it), null where there is none.</summary>
    public static string?[] ReadMids(SdpDescription d)
    {
        var mids = new string?[d.Media.Count];
        for (var i = 0; i < mids.Length; i++)
            foreach (var mid in d.Media[i].Mid()) mids[i] = mid;
        return mids;
    }

    /// <summary>The index of the first m-section whose mid is <paramref name="mid"/>, or -1.</summary>
    public static int IndexOfMid(string?[] mids, string mid)
    {
        for (var i = 0; i < mids.Length; i++)
            if (string.Equals(mids[i], mid, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>The first m-section whose mid is <paramref name="mid"/> (none when <paramref name="mid"/> is none).</summary>
    public static Option<MediaDescription> SectionByMid(SdpDescription d, string?[] mids, Option<string> mid)
    {
        if (mid.IsNone) return Option<MediaDescription>.None;
        var i = IndexOfMid(mids, (string)mid);
        return i < 0 ? Option<MediaDescription>.None : d.Media[i];
    }
}
