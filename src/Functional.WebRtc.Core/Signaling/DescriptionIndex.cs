using System.Runtime.CompilerServices;
using Functional.WebRtc.Core.Sdp;
using LanguageExt;

namespace Functional.WebRtc.Core.Signaling;

/// <summary>
/// What the signaling code looks up again and again in a parsed description, read once per (immutable)
/// <see cref="SdpDescription"/> instance: the mid of each m-section. A pure memo: the same instance always gives the same
/// answer, and the entry goes with the description (a weak table).
/// </summary>
internal static class DescriptionIndex
{
    private static readonly ConditionalWeakTable<SdpDescription, string?[]> MidsTable = new();

    /// <summary>The a=mid of each m-section (as <see cref="Jsep.Mid"/> reads it), null where there is none.</summary>
    public static string?[] Mids(SdpDescription d) =>
        MidsTable.TryGetValue(d, out var mids) ? mids : MidsTable.GetValue(d, static x =>
        {
            var mids = new string?[x.Media.Count];
            for (var i = 0; i < mids.Length; i++)
                foreach (var mid in x.Media[i].Mid()) mids[i] = mid;
            return mids;
        });

    /// <summary>The index of the first m-section whose mid is <paramref name="mid"/>, or -1.</summary>
    public static int IndexOfMid(SdpDescription d, string mid)
    {
        var mids = Mids(d);
        for (var i = 0; i < mids.Length; i++)
            if (string.Equals(mids[i], mid, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>The first m-section whose mid is <paramref name="mid"/> (none when <paramref name="mid"/> is none).</summary>
    public static Option<MediaDescription> SectionByMid(SdpDescription d, Option<string> mid)
    {
        if (mid.IsNone) return Option<MediaDescription>.None;
        var i = IndexOfMid(d, (string)mid);
        return i < 0 ? Option<MediaDescription>.None : d.Media[i];
    }
}
