using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;
using static LanguageExt.Prelude;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.Core.PeerConnection;

/// <summary>
/// The PeerConnection as a pure machine: <c>Handle(state, input) -> (state', outputs)</c>. API calls either complete
/// (a <see cref="PeerOutput.Completed"/> output) or fail (<see cref="PeerOutput.Failed"/>) leaving the state exactly
/// as it was. Randomness comes from the <see cref="Entropy"/> in the state, so a run replays exactly.
/// </summary>
public static class PeerMachine
{
    public static PeerState Create(PeerConfig config, ulong seed)
    {
        var entropy = new Entropy(seed);
        (var ice, entropy) = NewIceCredentials(entropy);
        (var sessionId, entropy) = entropy.NextUInt64();
        return new PeerState(config, SignalingState.Stable, None, None, None, None, None, None, false, ice, None,
            Arr<Transceiver>.Empty, Arr<Transceiver>.Empty, 0, sessionId & 0x7FFF_FFFF_FFFF_FFFFUL, 1, entropy, false,
            IceConnectionState.New, DtlsTransportState.New, PeerConnectionState.New);
    }

    /// <summary>RFC 8839: ice-ufrag at least 4 ice-chars, ice-pwd at least 22; we use 16 and 32 like Pion.</summary>
    private static (IceCredentials, Entropy) NewIceCredentials(Entropy entropy)
    {
        var (ufrag, e1) = entropy.NextIceString(16);
        var (pwd, e2) = e1.NextIceString(32);
        return (new IceCredentials(ufrag, pwd), e2);
    }

    public static Step<PeerState, Output> Handle(PeerState state, PeerInput input)
    {
        var result = input switch
        {
            PeerInput.Close => Close(state),
            _ when state.IsClosed && input is not (PeerInput.IceStateChanged or PeerInput.DtlsStateChanged) =>
                Fail(state, new RtcError.InvalidState("the connection is closed")),
            PeerInput.CreateOffer i => CreateOffer(state, i.IceRestart),
            PeerInput.CreateAnswer => CreateAnswer(state),
            PeerInput.SetLocalDescription i => SetLocal(state, i.Description),
            PeerInput.SetRemoteDescription i => SetRemote(state, i.Description),
            PeerInput.SetConfiguration i => SetConfiguration(state, i),
            PeerInput.AddTrack i => AddTrack(state, i),
            PeerInput.AddTransceiver { TrackId: null } i => AddTransceiver(state, i.Kind, i.Direction, None),
            PeerInput.AddTransceiver i => state.Transceivers.Exists(t => t.Sender.Exists(x => x.Id == i.TrackId))
                ? Fail(state, new RtcError.InvalidAccess($"track {i.TrackId} is already added"))
                : AddTransceiver(state, i.Kind, i.Direction, new TrackInfo(i.TrackId, string.IsNullOrEmpty(i.StreamId) ? "-" : i.StreamId, i.Kind)),
            PeerInput.RemoveTrack i => WithTransceiver(state, i.TransceiverIndex, t => t with
            {
                Sender = None,
                Direction = t.Direction switch { Direction.SendRecv => Direction.RecvOnly, Direction.SendOnly => Direction.Inactive, var d => d },
            }),
            PeerInput.StopTransceiver i => WithTransceiver(state, i.TransceiverIndex, t => t with { Stopped = true, Direction = Direction.Stopped }),
            PeerInput.SetDirection i => i.Direction == Direction.Stopped
                ? Fail(state, new RtcError.Type("use Stop() to stop a transceiver"))
                : WithTransceiver(state, i.TransceiverIndex, t => t with { Direction = i.Direction }),
            PeerInput.SetSendEncodings i => SetSendEncodings(state, i),
            PeerInput.CreateDataChannel => Done(state with { DataChannels = state.DataChannels + 1 }),
            PeerInput.IceStateChanged i => TransportStates(state, i.State, state.Dtls),
            PeerInput.DtlsStateChanged i => TransportStates(state, state.Ice, i.State),
            _ => Fail(state, new RtcError.NotSupported($"unknown input {input.GetType().Name}")),
        };
        if (result.Outputs.Exists(o => o is Output.Failed)) return result;
        return UpdateNegotiationNeeded(result);
    }

    // ----- helpers for results -----

    private static Step<PeerState, Output> Fail(PeerState state, RtcError error) => Step<PeerState, Output>.Of(state, new Output.Failed(error));
    private static Step<PeerState, Output> Done(PeerState state, params Output[] news) =>
        new(state, news.ToSeq().Add(new Output.Completed()));

    // ----- offers and answers -----

    private static LocalParameters Local(PeerState s, IceCredentials ice, string setup) =>
        new(ice, s.Config.Fingerprints, setup, s.Config);

    private static Step<PeerState, Output> CreateOffer(PeerState s, bool iceRestart)
    {
        var entropy = s.Entropy;
        var ice = s.RestartIce.IfNone(s.LocalIce);
        if (iceRestart)
        {
            (ice, entropy) = NewIceCredentials(entropy);
        }
        // JSEP 5.2.2: a subsequent offer keeps the m-sections of the current negotiation in their order.
        var previous = (s.CurrentLocal || s.CurrentRemote).Bind(d => d.TryUnmarshal().ToOption());
        var (offer, transceivers) = Jsep.CreateOffer(Local(s, ice, "actpass"), s.Transceivers, s.DataChannels > 0, previous,
            s.SessionId, s.SessionVersion + 1);
        // The description keeps the model it was written from, so setting it locally does not parse it again.
        var description = SessionDescription.Written(SdpType.Offer, offer.ToString(), offer);
        var next = s with
        {
            Entropy = entropy,
            Transceivers = transceivers,
            LastOffer = description,
            SessionVersion = s.SessionVersion + 1,
            RestartIce = iceRestart || s.RestartIce.IsSome ? Some(ice) : None,
        };
        return Step<PeerState, Output>.Of(next, new Output.Completed(description));
    }

    private static Step<PeerState, Output> CreateAnswer(PeerState s)
    {
        if (s.RemoteDescription.IsNone) return Fail(s, new RtcError.InvalidState("no remote description"));
        if (s.Signaling is not (SignalingState.HaveRemoteOffer or SignalingState.HaveLocalPranswer))
            return Fail(s, new RtcError.InvalidState($"cannot create an answer in signaling state {s.Signaling.ToText()}"));
        var remote = (SessionDescription)s.RemoteDescription;
        return remote.TryUnmarshal().Match(
            Left: e => Fail(s, e),
            Right: offer =>
            {
                var setup = AnswerSetup(s.Config, offer);
                var (ice, entropy) = OfferRestartsIce(s, offer) ? NewIceCredentials(s.Entropy) : (s.LocalIce, s.Entropy);
                var answer = Jsep.CreateAnswer(Local(s, ice, setup), offer, s.Transceivers, s.SessionId, s.SessionVersion + 1);
                var description = SessionDescription.Written(SdpType.Answer, answer.ToString(), answer);
                var next = s with { LastAnswer = description, SessionVersion = s.SessionVersion + 1, Entropy = entropy };
                return Step<PeerState, Output>.Of(next, new Output.Completed(description));
            });
    }

    /// <summary>
    /// RFC 8839 4.4.1.1.1 / JSEP 5.3.1: a remote offer whose ice-ufrag or ice-pwd differs from the current remote
    /// description's restarts ICE, and the answer then carries new credentials too.
    /// </summary>
    private static bool OfferRestartsIce(PeerState s, SdpDescription offer) =>
        s.CurrentRemote.Bind(d => d.TryUnmarshal().ToOption()).Bind(IceOf) is var current && current.IsSome &&
        IceOf(offer).Exists(now => current.Exists(old => old != now));

    /// <summary>RFC 5763 5 / RFC 8842: the answerer picks active unless the offer is active or it is configured passive.</summary>
    private static string AnswerSetup(PeerConfig config, SdpDescription offer)
    {
        var offered = offer.Media.Find(m => m.Port != 0).Bind(m => Jsep.Value(offer, m, "setup")).IfNone("actpass");
        return offered switch
        {
            "active" => "passive",
            "passive" => "active",
            _ => config.AnswerPassive ? "passive" : "active",
        };
    }

    // ----- setting descriptions -----

    private static Step<PeerState, Output> SetLocal(PeerState s, SessionDescription desc)
    {
        if (desc.Type == SdpType.Rollback) return Rollback(s, DescriptionSide.Local);
        // JSEP 5.4: an empty description means the last offer or answer we created (or a new one, as browsers do).
        if (string.IsNullOrEmpty(desc.Sdp))
        {
            var last = desc.Type == SdpType.Offer ? s.LastOffer : desc.Type is SdpType.Answer or SdpType.Pranswer ? s.LastAnswer : None;
            if (last.IsNone && desc.Type != SdpType.Unknown)
            {
                var created = desc.Type == SdpType.Offer ? CreateOffer(s, false) : CreateAnswer(s);
                if (created.Outputs.Exists(o => o is Output.Failed)) return Fail(s, created.Outputs.OfType<Output.Failed>().First().Error);
                var sdp = created.Outputs.OfType<Output.Completed>().First().Description!.Sdp;
                return SetLocal(created.State, desc with { Sdp = sdp }) is var r && r.Outputs.Exists(o => o is Output.Failed)
                    ? Fail(s, r.Outputs.OfType<Output.Failed>().First().Error)
                    : r;
            }
            desc = last.Match(l => l.WithType(desc.Type), () => desc with { Sdp = "" });
        }
        else
        {
            // The text of the offer or answer we created (as a replay or a round trip through the application gives
            // it back): its parse is the model we wrote it from.
            var created = desc.Type == SdpType.Offer ? s.LastOffer : desc.Type is SdpType.Answer or SdpType.Pranswer ? s.LastAnswer : None;
            foreach (var c in created) desc.SharesTextWith(c);
        }
        return Apply(s, DescriptionSide.Local, desc);
    }

    private static Step<PeerState, Output> SetRemote(PeerState s, SessionDescription desc) =>
        desc.Type == SdpType.Rollback ? Rollback(s, DescriptionSide.Remote) : Apply(s, DescriptionSide.Remote, desc);

    private static Step<PeerState, Output> Apply(PeerState s, DescriptionSide side, SessionDescription desc)
    {
        var next = SignalingTable.Next(s.Signaling, side, desc.Type);
        if (next.IsLeft) return Fail(s, (RtcError)next);
        var parsed = desc.TryUnmarshal();
        if (parsed.IsLeft) return Fail(s, (RtcError)parsed);
        var sdp = (SdpDescription)parsed;
        var valid = side == DescriptionSide.Remote ? ValidateRemote(s, desc.Type, sdp) : ValidateLocal(s, desc.Type, sdp);
        if (valid.IsSome) return Fail(s, (RtcError)valid);
        var to = (SignalingState)next;

        var n = side == DescriptionSide.Local
            ? desc.Type switch
            {
                SdpType.Offer => s with { PendingLocal = desc, LocalIce = IceOf(sdp).IfNone(s.LocalIce), RestartIce = None },
                SdpType.Pranswer => s with { PendingLocal = desc },
                // The credentials of our answer are ours from now on (new ones after an ICE restart).
                _ => s with { CurrentLocal = desc, CurrentRemote = s.PendingRemote || s.CurrentRemote, PendingLocal = None, PendingRemote = None,
                              LocalIce = IceOf(sdp).IfNone(s.LocalIce) },
            }
            : desc.Type switch
            {
                SdpType.Offer or SdpType.Pranswer => s with { PendingRemote = desc },
                _ => s with { CurrentRemote = desc, CurrentLocal = s.PendingLocal || s.CurrentLocal, PendingLocal = None, PendingRemote = None },
            };
        n = n with { Transceivers = Associate(n, side, desc.Type, desc, sdp), Signaling = to };
        // The last stable point is what a rollback returns to.
        if (to == SignalingState.Stable) n = n with { StableTransceivers = n.Transceivers };

        var outputs = Seq<Output>();
        if (to != s.Signaling) outputs = outputs.Add(new Output.SignalingStateChanged(to));
        if (side == DescriptionSide.Local)
            outputs = outputs.Add(new Output.GatherCandidates(IceOf(sdp).IfNone(n.LocalIce), desc.Type == SdpType.Offer));
        foreach (var t in TransportParameters(n)) outputs = outputs.Add(t);
        return new Step<PeerState, Output>(n, outputs.Add(new Output.Completed()));
    }

    private static Option<IceCredentials> IceOf(SdpDescription sdp) =>
        sdp.Media.Find(m => m.Port != 0).Bind(m =>
            from u in Jsep.Value(sdp, m, "ice-ufrag")
            from p in Jsep.Value(sdp, m, "ice-pwd")
            select new IceCredentials(u, p));

    private static Option<RtcError> ValidateLocal(PeerState s, SdpType type, SdpDescription sdp)
    {
        if (type is SdpType.Answer or SdpType.Pranswer)
            foreach (var offer in s.PendingRemote.Bind(d => d.TryUnmarshal().ToOption()))
                if (offer.Media.Count != sdp.Media.Count)
                    return new RtcError.InvalidAccess($"the answer has {sdp.Media.Count} m-sections but the offer has {offer.Media.Count}");
        return None;
    }

    private static Option<RtcError> ValidateRemote(PeerState s, SdpType type, SdpDescription sdp)
    {
        for (var i = 0; i < sdp.Media.Count; i++)
        {
            var m = sdp.Media[i];
            if (m.Port == 0) continue;
            // A media-level attribute, else the session-level one (Jsep.Value/Values): present or not.
            if (!(m.HasAttribute("ice-ufrag") || sdp.HasAttribute("ice-ufrag")) || !(m.HasAttribute("ice-pwd") || sdp.HasAttribute("ice-pwd")))
                return new RtcError.InvalidAccess($"m-section {i} has no ice-ufrag/ice-pwd");
            if (!(m.HasAttribute("fingerprint") || sdp.HasAttribute("fingerprint")))
                return new RtcError.InvalidAccess($"m-section {i} has no fingerprint");
            if ((m.Media == "audio" || m.Media == "video") && !m.HasAttribute("mid"))
                return new RtcError.InvalidAccess($"m-section {i} has no mid");
        }
        if (type is SdpType.Answer or SdpType.Pranswer)
            foreach (var offer in s.PendingLocal.Bind(d => d.TryUnmarshal().ToOption()))
                if (offer.Media.Count != sdp.Media.Count)
                    return new RtcError.InvalidAccess($"the answer has {sdp.Media.Count} m-sections but our offer has {offer.Media.Count}");
        return None;
    }

    /// <summary>
    /// W3C "set the session description" steps for transceivers: a remote offer associates each RTP m-section with a
    /// transceiver (an unassociated one made by AddTrack of the same kind, or a new recvonly one); an answer sets the
    /// negotiated (current) directions.
    /// </summary>
    private static Arr<Transceiver> Associate(PeerState s, DescriptionSide side, SdpType type, SessionDescription desc, SdpDescription sdp)
    {
        var mids = desc.MidsOf(sdp);
        var txs = s.Transceivers.ToList();
        if (side == DescriptionSide.Remote && type == SdpType.Offer)
        {
            foreach (var m in sdp.Media.Filter(Jsep.IsRtp))
            {
                var mid = Jsep.Mid(m);
                if (txs.Exists(t => t.Mid == mid)) continue;
                var kind = Jsep.KindOf(m);
                var free = m.Port == 0 ? -1 : txs.FindIndex(t => t.Mid.IsNone && !t.Stopped && t.Kind == kind && t.Sender.IsSome);
                if (free >= 0) { txs[free] = txs[free] with { Mid = mid }; continue; }
                if (m.Port == 0) continue;
                txs.Add(new Transceiver(txs.Count == 0 ? 0 : txs.Max(t => t.Index) + 1, kind, mid, Direction.RecvOnly, None, None, 0, 0, false, true));
            }
        }
        for (var i = 0; i < txs.Count; i++)
        {
            var m = DescriptionIndex.SectionByMid(sdp, mids, txs[i].Mid);
            if (m.IsNone) continue;
            var section = (MediaDescription)m;
            // W3C 4.4.1.6: a transceiver whose m-section a remote offer or an answer rejects is stopped.
            var rejected = section.Port == 0 && (side == DescriptionSide.Remote || type is SdpType.Answer or SdpType.Pranswer);
            if (rejected) txs[i] = txs[i] with { Stopped = true, Direction = Direction.Stopped, CurrentDirection = None };
            else if (type is SdpType.Answer or SdpType.Pranswer)
            {
                var answered = Jsep.DirectionOf(section);
                txs[i] = txs[i] with { CurrentDirection = side == DescriptionSide.Local ? answered : answered.Reverse() };
            }
        }
        return txs.ToArr();
    }

    private static Seq<Output> TransportParameters(PeerState s)
    {
        var local = s.LocalDescription.Bind(d => d.TryUnmarshal().ToOption());
        var remote = s.RemoteDescription.Bind(d => d.TryUnmarshal().ToOption());
        if (local.IsNone || remote.IsNone) return Seq<Output>();
        var r = (SdpDescription)remote;
        var l = (SdpDescription)local;
        var rm = r.Media.Find(m => m.Port != 0);
        if (rm.IsNone) return Seq<Output>();
        var m0 = (MediaDescription)rm;
        var remoteIce = new IceCredentials(Jsep.Value(r, m0, "ice-ufrag").IfNone(""), Jsep.Value(r, m0, "ice-pwd").IfNone(""));
        var localIce = IceOf(l).IfNone(s.LocalIce);
        // The offerer of the negotiation in progress (or of the last one, when stable) is the ICE controlling agent.
        var weOffered = s.PendingLocal.Exists(d => d.Type == SdpType.Offer) ||
                        (s.PendingRemote.IsNone && s.CurrentLocal.Exists(d => d.Type == SdpType.Offer));
        var remoteLite = r.HasAttribute("ice-lite");
        // RFC 8445 6.1.1: the offerer is controlling, unless the peer is a full agent and we are lite.
        var controlling = remoteLite || weOffered;
        var localSetup = l.Media.Find(m => m.Port != 0).Bind(m => Jsep.Value(l, m, "setup")).IfNone("actpass");
        var remoteSetup = Jsep.Value(r, m0, "setup").IfNone("actpass");
        var dtlsClient = localSetup == "active" || (localSetup == "actpass" && remoteSetup == "passive");
        var data = r.Media.Find(m => Jsep.IsData(m) && m.Port != 0);
        // RFC 8841: the SCTP port defaults to 5000 when a data section gives none.
        int? sctpPort = data.IsNone ? null : data.Bind(m => m.SctpPort()).IfNone(5000);
        // RFC 8841 6: no max-message-size means 64 KiB; 0 means no limit.
        var maxMessage = data.Bind(m => m.MaxMessageSize()).Map(v => v == 0 ? long.MaxValue : (long)Math.Min(v, long.MaxValue)).IfNone(65536L);
        var candidates = Candidates(r);
        var endOfCandidates = false;
        foreach (var m in r.Media)
            if (m.HasAttribute("end-of-candidates")) { endOfCandidates = true; break; }
        return Seq1<Output>(new Output.TransportParameters(localIce, remoteIce, controlling, remoteLite,
            Jsep.Values(r, m0, "fingerprint").ToArr(), dtlsClient, sctpPort, maxMessage, candidates, endOfCandidates));
    }

    /// <summary>The distinct a=candidate values of the sections in use, in order of first appearance.</summary>
    private static Arr<string> Candidates(SdpDescription r)
    {
        List<string>? list = null;
        System.Collections.Generic.HashSet<string>? seen = null;
        foreach (var m in r.Media)
        {
            if (m.Port == 0) continue;
            var attributes = m.Attributes;
            for (var i = 0; i < attributes.Count; i++)
            {
                var a = attributes[i];
                if (!a.Name.Equals("candidate")) continue;
                var v = a.Value.IsNull ? "" : a.Value.ToString();
                seen ??= new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
                if (seen.Add(v)) (list ??= []).Add(v);
            }
        }
        return list is null ? Arr<string>.Empty : Arr.create(list.ToArray());
    }

    /// <summary>
    /// Rollback (JSEP 4.1.8.2, W3C 4.4.1.5): discard the pending offer, restore the last stable descriptions; transceivers
    /// made by a rolled-back remote offer are removed unless a track was attached to them; mids given only by the
    /// rolled-back offer are released.
    /// </summary>
    private static Step<PeerState, Output> Rollback(PeerState s, DescriptionSide side)
    {
        var next = SignalingTable.Next(s.Signaling, side, SdpType.Rollback);
        if (next.IsLeft) return Fail(s, (RtcError)next);
        var stable = s.StableTransceivers;
        var txs = s.Transceivers
            .Filter(t => !(t.CreatedByRemote && stable.Find(o => o.Index == t.Index).IsNone && t.Sender.IsNone))
            .Map(t => stable.Find(o => o.Index == t.Index).Match(
                o => t with { Mid = o.Mid, CurrentDirection = o.CurrentDirection, CreatedByRemote = o.CreatedByRemote },
                () => t with { Mid = None, CurrentDirection = None, CreatedByRemote = false }));
        var n = s with
        {
            PendingLocal = None,
            PendingRemote = None,
            Signaling = SignalingState.Stable,
            Transceivers = txs,
        };
        return Done(n, new Output.SignalingStateChanged(SignalingState.Stable));
    }

    // ----- configuration, tracks, channels -----

    private static Step<PeerState, Output> SetConfiguration(PeerState s, PeerInput.SetConfiguration c)
    {
        var cfg = s.Config;
        if (c.Fingerprints.Length > 0 && !c.Fingerprints.SequenceEqual(cfg.Fingerprints))
            return Fail(s, new RtcError.InvalidModification("certificates cannot be changed"));
        if (c.BundlePolicy != cfg.BundlePolicy) return Fail(s, new RtcError.InvalidModification("the bundle policy cannot be changed"));
        if (c.RtcpMuxPolicy != cfg.RtcpMuxPolicy) return Fail(s, new RtcError.InvalidModification("the RTCP mux policy cannot be changed"));
        if (c.IceTransportPolicy != cfg.IceTransportPolicy)
            return Fail(s, new RtcError.InvalidModification("only the ICE servers can be changed"));
        var servers = c.IceServers.ToArr();
        var n = s with { Config = cfg with { IceServers = servers } };
        return servers == cfg.IceServers ? Done(n) : Done(n, new Output.IceServersChanged(servers));
    }

    private static Step<PeerState, Output> AddTrack(PeerState s, PeerInput.AddTrack a)
    {
        if (s.Transceivers.Exists(t => t.Sender.Exists(x => x.Id == a.TrackId)))
            return Fail(s, new RtcError.InvalidAccess($"track {a.TrackId} is already added"));
        var track = new TrackInfo(a.TrackId, a.StreamId, a.Kind);
        // W3C addTrack: reuse a transceiver of the same kind that never sent and is not stopped.
        var free = s.Transceivers.Find(t => t.Kind == a.Kind && t.Sender.IsNone && !t.Stopped &&
                                            !t.Direction.Sends() && !(t.CurrentDirection.Exists(d => d.Sends())));
        if (free.IsSome)
        {
            var t = (Transceiver)free;
            var (ssrc, rtx, e) = Ssrcs(s.Entropy);
            var updated = t with
            {
                Sender = track,
                Direction = t.Direction == Direction.RecvOnly ? Direction.SendRecv : Direction.SendOnly,
                Ssrc = t.Ssrc == 0 ? ssrc : t.Ssrc,
                RtxSsrc = t.RtxSsrc == 0 ? rtx : t.RtxSsrc,
            };
            return Step<PeerState, Output>.Of(s with { Entropy = e, Transceivers = s.Transceivers.Map(x => x.Index == t.Index ? updated : x) },
                new Output.Completed(TransceiverIndex: t.Index));
        }
        return AddTransceiver(s, a.Kind, Direction.SendRecv, track);
    }

    private static (uint, uint, Entropy) Ssrcs(Entropy e)
    {
        var (a, e1) = e.NextUInt32();
        var (b, e2) = e1.NextUInt32();
        return (a | 1, b | 1, e2);
    }

    private static Step<PeerState, Output> AddTransceiver(PeerState s, MediaKind kind, Direction direction, Option<TrackInfo> track)
    {
        if (direction == Direction.Stopped) return Fail(s, new RtcError.Type("a new transceiver cannot be stopped"));
        var (ssrc, rtx, e) = Ssrcs(s.Entropy);
        var index = s.Transceivers.IsEmpty ? 0 : s.Transceivers.Max(x => x.Index) + 1;
        var t = new Transceiver(index, kind, None, direction, None, track, ssrc, rtx, false, false);
        return Step<PeerState, Output>.Of(s with { Entropy = e, Transceivers = s.Transceivers.Add(t) },
            new Output.Completed(TransceiverIndex: index));
    }

    private static Step<PeerState, Output> SetSendEncodings(PeerState s, PeerInput.SetSendEncodings a)
    {
        var found = s.Transceivers.Find(t => t.Index == a.TransceiverIndex);
        if (found.IsNone) return Fail(s, new RtcError.InvalidAccess($"no transceiver {a.TransceiverIndex}"));
        return SimulcastSend.WithEncodings((Transceiver)found, a.Rids ?? [], s.Entropy).Match(
            ok => Done(s with { Entropy = ok.Entropy, Transceivers = s.Transceivers.Map(t => t.Index == a.TransceiverIndex ? ok.Transceiver : t) }),
            e => Fail(s, e));
    }

    private static Step<PeerState, Output> WithTransceiver(PeerState s, int index, Func<Transceiver, Transceiver> change)
    {
        var found = s.Transceivers.Find(t => t.Index == index);
        if (found.IsNone) return Fail(s, new RtcError.InvalidAccess($"no transceiver {index}"));
        if (((Transceiver)found).Stopped) return Fail(s, new RtcError.InvalidState("the transceiver is stopped"));
        return Done(s with { Transceivers = s.Transceivers.Map(t => t.Index == index ? change(t) : t) });
    }

    // ----- transports and close -----

    private static Step<PeerState, Output> TransportStates(PeerState s, IceConnectionState ice, DtlsTransportState dtls)
    {
        var connection = ConnectionStates.Derive(s.IsClosed, ice, dtls);
        var outputs = Seq<Output>();
        if (ice != s.Ice) outputs = outputs.Add(new Output.IceConnectionStateChanged(ice));
        if (connection != s.Connection) outputs = outputs.Add(new Output.ConnectionStateChanged(connection));
        return new Step<PeerState, Output>(s with { Ice = ice, Dtls = dtls, Connection = connection }, outputs);
    }

    private static Step<PeerState, Output> Close(PeerState s)
    {
        if (s.IsClosed) return Done(s);
        var n = s with
        {
            IsClosed = true,
            Signaling = SignalingState.Closed,
            Ice = IceConnectionState.Closed,
            Dtls = DtlsTransportState.Closed,
            Connection = PeerConnectionState.Closed,
            NegotiationNeeded = false,
            Transceivers = s.Transceivers.Map(t => t with { Stopped = true, Direction = Direction.Stopped, CurrentDirection = None }),
        };
        return new Step<PeerState, Output>(n, Seq<Output>(
            new Output.SignalingStateChanged(SignalingState.Closed),
            new Output.IceConnectionStateChanged(IceConnectionState.Closed),
            new Output.ConnectionStateChanged(PeerConnectionState.Closed),
            new Output.Closed(),
            new Output.Completed()));
    }

    // ----- negotiation-needed (W3C 4.7.3) -----

    private static Step<PeerState, Output> UpdateNegotiationNeeded(Step<PeerState, Output> step)
    {
        var s = step.State;
        if (s.IsClosed || s.Signaling != SignalingState.Stable) return step;
        var needed = IsNegotiationNeeded(s);
        if (!needed) return s.NegotiationNeeded ? step with { State = s with { NegotiationNeeded = false } } : step;
        // W3C 4.4.1.6: when a negotiation ends (back to stable) with the flag still set, the event fires again, so a
        // change made during the negotiation (or a rolled-back offer) is negotiated next.
        var backToStable = step.Outputs.Exists(o => o is Output.SignalingStateChanged { State: SignalingState.Stable });
        if (s.NegotiationNeeded && !backToStable) return step;
        return new Step<PeerState, Output>(s with { NegotiationNeeded = true }, step.Outputs.Add(new Output.NegotiationNeeded()));
    }

    /// <summary>The W3C "check if negotiation is needed" algorithm as a pure function of the state.</summary>
    public static bool IsNegotiationNeeded(PeerState s)
    {
        if (s.IsClosed || s.Signaling != SignalingState.Stable) return false;
        var local = Parsed(s.CurrentLocal);
        var localMids = local is null ? null : ((SessionDescription)s.CurrentLocal).MidsOf(local);
        if (s.DataChannels > 0 && !(local is not null && local.Media.Exists(m => Jsep.IsData(m) && m.Port != 0))) return true;
        if (s.Transceivers.IsEmpty) return false;
        var localIsOffer = s.CurrentLocal.Exists(d => d.Type == SdpType.Offer);
        SdpDescription? remote = null;
        string?[]? remoteMids = null;
        foreach (var t in s.Transceivers)
        {
            var index = localMids is null || t.Mid.IsNone ? -1 : DescriptionIndex.IndexOfMid(localMids, (string)t.Mid);
            if (t.Stopped)
            {
                if (index >= 0 && local!.Media[index].Port != 0) return true;
                continue;
            }
            if (index < 0) return true;
            var m = local!.Media[index];
            if (m.Port == 0) return true;
            var localDirection = Jsep.DirectionOf(m);
            if (localIsOffer)
            {
                if (localDirection != t.Direction) return true;
            }
            else
            {
                remote ??= Parsed(s.CurrentRemote);
                remoteMids ??= remote is null ? [] : ((SessionDescription)s.CurrentRemote).MidsOf(remote);
                var r = DescriptionIndex.IndexOfMid(remoteMids, (string)t.Mid);
                var offered = r < 0 ? Direction.SendRecv : Jsep.DirectionOf(remote!.Media[r]);
                if (localDirection != t.Direction.AnswerTo(offered)) return true;
            }
            if (t.Direction.Sends())
            {
                if (!MsidIsTrack(m, t.Sender)) return true;
                if (s.CurrentLocal.Exists(d => d.Type == SdpType.Offer) && SimulcastSend.OfferedRidsDiffer(t, m)) return true;
            }
        }
        return false;
    }

    private static SdpDescription? Parsed(Option<SessionDescription> d) =>
        d.IsNone ? null : ((SessionDescription)d).TryUnmarshal().Match(x => x, _ => (SdpDescription?)null);

    /// <summary>Does the section's first a=msid read "&lt;stream id&gt; &lt;track id&gt;" of the track (or is there neither)?</summary>
    private static bool MsidIsTrack(MediaDescription m, Option<TrackInfo> sender)
    {
        var msid = SdpAttributeList.First(m.Attributes, "msid");
        if (msid.IsNone || sender.IsNone) return msid.IsNone && sender.IsNone;
        var value = ((SdpAttribute)msid).Value.Span;
        var track = (TrackInfo)sender;
        return value.Length == track.StreamId.Length + 1 + track.Id.Length && value.StartsWith(track.StreamId, StringComparison.Ordinal) &&
               value[track.StreamId.Length] == ' ' && value.EndsWith(track.Id, StringComparison.Ordinal);
    }
}
