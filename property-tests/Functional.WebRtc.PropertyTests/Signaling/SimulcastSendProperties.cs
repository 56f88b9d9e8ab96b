using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using Functional.WebRtc.Testing;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.PropertyTests.Signaling;

/// <summary>
/// Sending simulcast as pure functions (RFC 8853 5.3, RFC 8851): the lines an offer writes read back as the same layers
/// through SDP text, the negotiated layers are ours that the peer receives, an answer sends an ordered subset of what
/// the offer asked for, and SetSendEncodings' check is total on any strings.
/// </summary>
public class SimulcastSendProperties
{
    /// <summary>Distinct valid rids (1 to 16 of A-Z a-z 0-9 - _), two to five of them.</summary>
    public static Arbitrary<string[]> Layers() =>
        Gen.Choose(2, 5).SelectMany(n => RidGen.ArrayOf(n)).Select(a => a.Distinct().ToArray()).Where(a => a.Length >= 2).ToArbitrary();

    /// <summary>Mostly the usual short rids (so two lists overlap), sometimes any valid one up to 16 characters.</summary>
    private static Gen<string> RidGen =>
        Gen.OneOf(Gen.Elements("q", "h", "f", "lo", "hi", "r0", "r1"),
            Gen.Choose(1, SimulcastSend.MaxRidLength).SelectMany(n => Gen.Elements("abqhfXYZ0189-_".ToCharArray()).ArrayOf(n)).Select(c => new string(c)));

    private static Gen<string> NearRidGen =>
        Gen.Choose(0, 20).SelectMany(n => Gen.Elements("aZ09-_~;,:=.\t\u00e9/".ToCharArray()).ArrayOf(n)).Select(c => new string(c));

    /// <summary>Strings near the rid grammar: valid characters and a few that are not, empty to 20 long, no spaces.</summary>
    public static Arbitrary<string> NearRid() => NearRidGen.ToArbitrary();

    /// <summary>Any list of rid-like strings: valid, repeated, invalid, too many.</summary>
    public sealed record AnyRids(string[] Items);

    public static Arbitrary<AnyRids> AnyRidLists() =>
        Gen.Choose(0, 10).SelectMany(n => Gen.OneOf(RidGen, NearRidGen).ArrayOf(n)).Select(a => new AnyRids(a)).ToArbitrary();

    private static Transceiver Sending(Arr<SendEncoding> encodings = default) =>
        new(0, MediaKind.Video, Some("0"), Direction.SendRecv, None, Some(new TrackInfo("cam", "s", MediaKind.Video)), 11, 13, false, false, encodings);

    private static Transceiver WithLayers(string[] rids) =>
        SimulcastSend.WithEncodings(Sending(), rids, new Entropy(42)).Map(x => x.Transceiver).IfLeft(e => throw new Exception(e.ToString()));

    private static MediaDescription Section(Arr<SdpAttribute> attributes) =>
        new("video", 9, Jsep.RtpProtocol, Arr.create<SdpText>("96")) { Connection = ConnectionData.Unspecified, Attributes = Arr.create(new SdpAttribute("mid", "0")).AddRange(attributes) };

    /// <summary>A section asking to receive these rids (a=rid recv for each, a=simulcast:recv one stream each).</summary>
    private static MediaDescription Receiving(IEnumerable<string> rids)
    {
        var list = rids.Distinct().ToArr();
        if (list.IsEmpty) return Section(Arr<SdpAttribute>.Empty);
        return Section(list.Map(r => new Rid(r, RidDirection.Recv).ToAttribute())
            .Add(new Simulcast(Arr<Arr<SimulcastRid>>.Empty, list.Map(r => Arr.create(new SimulcastRid(r)))).ToAttribute()));
    }

    /// <summary>The offer's lines, written as SDP text and parsed again, give back the layers, and our own answer accepts them all.</summary>
    [Property(MaxTest = 200, Arbitrary = [typeof(SimulcastSendProperties)])]
    public bool OfferLinesRoundTripThroughSdpText(string[] rids)
    {
        var offered = Section(SimulcastSend.OfferAttributes(WithLayers(rids)));
        var session = new SdpDescription { Origin = new Origin("-", 1, 1, "IN", "IP4", "127.0.0.1"), SessionName = "-", Media = Arr.create(offered) };
        var parsed = SdpParser.Parse(SdpWriter.Write(session)).Map(d => d.Media[0]).IfLeft(e => throw new Exception(e.ToString()));
        var send = parsed.Rids().Filter(r => r.Direction == RidDirection.Send).Map(r => r.Id);
        var streams = parsed.GetSimulcast().Map(s => s.Send.Map(x => x.Single().Id)).IfNone(Arr<string>.Empty);
        var answer = Section(Jsep.SimulcastAnswer(parsed, Direction.RecvOnly));
        return send.SequenceEqual(rids) && streams.SequenceEqual(rids) && SimulcastSend.NegotiatedRids(parsed, answer).SequenceEqual(rids);
    }

    /// <summary>The negotiated layers are ours that the peer's a=simulcast:recv lists, in our order.</summary>
    [Property(MaxTest = 200, Arbitrary = [typeof(SimulcastSendProperties)])]
    public bool NegotiatedLayersAreOursThatThePeerReceives(string[] ours, string[] theirs, bool reverse)
    {
        var local = Section(SimulcastSend.OfferAttributes(WithLayers(ours)));
        var remote = Receiving(reverse ? theirs.Concat(ours.Take(1)).Reverse() : theirs);
        var peer = remote.GetSimulcast().Map(s => s.Receive.Map(x => x[0].Id).ToHashSet()).IfNone([]);
        return SimulcastSend.NegotiatedRids(local, remote).SequenceEqual(ours.Where(peer.Contains));
    }

    /// <summary>An answer sends the offer's asked-for layers it has, in the offer's order; nothing when none match.</summary>
    [Property(MaxTest = 200, Arbitrary = [typeof(SimulcastSendProperties)])]
    public bool AnswerSendsAnOrderedSubsetOfWhatWasAsked(string[] ours, string[] asked)
    {
        var t = WithLayers(ours);
        var answer = Section(SimulcastSend.AnswerAttributes(t, Receiving(asked), Direction.SendOnly));
        var expected = asked.Distinct().Where(ours.Contains).ToArray();
        var sent = answer.Rids().Map(r => r.Id);
        var listed = answer.GetSimulcast().Map(s => s.Send.Map(x => x[0].Id)).IfNone(Arr<string>.Empty);
        var noneWhenNotSending = SimulcastSend.AnswerAttributes(t, Receiving(asked), Direction.RecvOnly).IsEmpty;
        return sent.SequenceEqual(expected) && listed.SequenceEqual(expected) && answer.Rids().ForAll(r => r.Direction == RidDirection.Send)
               && noneWhenNotSending;
    }

    /// <summary>
    /// SetSendEncodings' check never throws: it accepts exactly the lists of distinct valid rids (at most eight), the
    /// first layer on the transceiver's own SSRCs, every SSRC odd as the machine makes them.
    /// </summary>
    [Property(MaxTest = 300, Arbitrary = [typeof(SimulcastSendProperties)])]
    public bool WithEncodingsIsTotal(AnyRids any, ulong seed)
    {
        var rids = any.Items;
        var result = SimulcastSend.WithEncodings(Sending(), rids, new Entropy(seed));
        var acceptable = rids.Length <= SimulcastSend.MaxEncodings && rids.All(SimulcastSend.IsValidRid) && rids.Distinct().Count() == rids.Length;
        return result.Match(
            ok => acceptable && ok.Transceiver.Encodings.Map(e => e.Rid).SequenceEqual(rids)
                  && (rids.Length == 0 || (ok.Transceiver.Encodings[0].Ssrc, ok.Transceiver.Encodings[0].RtxSsrc) == (11u, 13u))
                  && ok.Transceiver.Encodings.ForAll(e => (e.Ssrc & 1) == 1 && (e.RtxSsrc & 1) == 1),
            error => !acceptable && error is RtcError.Type or RtcError.InvalidAccess or RtcError.Range);
    }

    /// <summary>The rid check agrees with the a=rid parser's grammar (RFC 8851 10), plus the 16-character cap.</summary>
    [Property(MaxTest = 300, Arbitrary = [typeof(SimulcastSendProperties)])]
    public bool RidCheckAgreesWithTheRidParser(string rid) =>
        SimulcastSend.IsValidRid(rid) == (rid.Length is > 0 and <= SimulcastSend.MaxRidLength && Rid.Parse(rid + " send").IsRight);
}
