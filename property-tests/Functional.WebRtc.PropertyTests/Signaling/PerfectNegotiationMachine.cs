using Functional.WebRtc.Core;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Signaling;
using FsCheck;
using FsCheck.Experimental;
using FsCheck.Fluent;
using LanguageExt;
using Input = Functional.WebRtc.Core.PeerConnection.PeerInput;
using Output = Functional.WebRtc.Core.PeerConnection.PeerOutput;

namespace Functional.WebRtc.PropertyTests.Signaling;

/// <summary>
/// One peer of the model-based test: the pure machine, the handler flag a negotiationneeded event sets, and the
/// perfect-negotiation role (W3C "perfect negotiation" example: the polite peer rolls back, the impolite one ignores).
/// </summary>
public sealed class NegotiatingPeer(string name, bool polite, ulong seed, string fingerprint)
{
    public string Name { get; } = name;
    public bool Polite { get; } = polite;
    public PeerState State { get; private set; } = PeerMachine.Create(PeerConfig.Default(fingerprint), seed);
    public bool NegotiationNeededEvent { get; private set; }
    public Queue<SessionDescription> Inbox { get; } = new();
    public List<string> Violations { get; } = [];
    public List<string> Trace { get; } = [];

    private static string Summary(SessionDescription d) =>
        d.Type.ToText() + " " + string.Join(" | ", d.TryUnmarshal().Map(p => p.Media.Map(m =>
            $"{Jsep.Mid(m).IfNone("?")}:{m.Media}:{m.Port}:{(Jsep.IsData(m) ? "" : Jsep.DirectionOf(m).ToText())}:{m.AttributeValue("msid").Map(v => v.ToString()).IfNone("-")}")).IfLeft(Arr<string>.Empty));

    /// <summary>Runs one input and checks the machine's invariants: legal states, and failures change nothing.</summary>
    /// <summary>Every input this peer took and the step it gave, for record/replay checks.</summary>
    public List<(Input Input, Step<PeerState, Output> Step)> History { get; } = [];
    public PeerConfig Config { get; } = PeerConfig.Default(fingerprint);
    public ulong Seed { get; } = seed;

    public Seq<Output> Run(Input input)
    {
        var before = State;
        var step = PeerMachine.Handle(State, input);
        History.Add((input, step));
        State = step.State;
        if (step.Outputs.Exists(o => o is Output.Failed) && before != State)
            Violations.Add($"{Name}: failed {input} but the state changed");
        if (step.Outputs.Exists(o => o is Output.NegotiationNeeded)) NegotiationNeededEvent = true;
        CheckLegal(input);
        return step.Outputs;
    }

    private void CheckLegal(Input input)
    {
        var s = State;
        bool ok = s.Signaling switch
        {
            SignalingState.Stable => s.PendingLocal.IsNone && s.PendingRemote.IsNone,
            SignalingState.HaveLocalOffer => s.PendingLocal.Exists(d => d.Type == SdpType.Offer) && s.PendingRemote.IsNone,
            SignalingState.HaveRemoteOffer => s.PendingRemote.Exists(d => d.Type == SdpType.Offer) && s.PendingLocal.IsNone,
            SignalingState.HaveLocalPranswer => s.PendingLocal.Exists(d => d.Type == SdpType.Pranswer) && s.PendingRemote.Exists(d => d.Type == SdpType.Offer),
            SignalingState.HaveRemotePranswer => s.PendingRemote.Exists(d => d.Type == SdpType.Pranswer) && s.PendingLocal.Exists(d => d.Type == SdpType.Offer),
            SignalingState.Closed => s.IsClosed,
            _ => false,
        };
        if (!ok) Violations.Add($"{Name}: illegal state {s.Signaling} after {input}");
        if (s.Transceivers.Map(t => t.Index).Distinct().Count() != s.Transceivers.Count)
            Violations.Add($"{Name}: duplicate transceiver indexes after {input}");
        var mids = s.Transceivers.Choose(t => t.Mid).ToList();
        if (mids.Distinct().Count() != mids.Count) Violations.Add($"{Name}: duplicate mids after {input}");
    }

    private SessionDescription? Completed(Seq<Output> outputs) => outputs.OfType<Output.Completed>().FirstOrDefault()?.Description;
    private string _lastError = "";
    private bool Ok(Seq<Output> outputs)
    {
        _lastError = string.Join(", ", outputs.OfType<Output.Failed>().Select(f => f.Error.ToString()));
        return _lastError.Length == 0;
    }

    /// <summary>The negotiationneeded handler: make an offer if stable (W3C: makingOffer around setLocalDescription()).</summary>
    public void HandleNegotiationNeeded(NegotiatingPeer other)
    {
        if (!NegotiationNeededEvent) return;
        NegotiationNeededEvent = false;
        if (State.Signaling != SignalingState.Stable || !PeerMachine.IsNegotiationNeeded(State)) return;
        var offer = Completed(Run(new Input.CreateOffer()));
        if (offer is null) { Violations.Add($"{Name}: CreateOffer failed when stable"); return; }
        if (!Ok(Run(new Input.SetLocalDescription(offer)))) { Violations.Add($"{Name}: own offer refused: {_lastError}"); return; }
        Trace.Add($"{Name} offers {Summary(offer)}");
        other.Inbox.Enqueue(offer);
    }

    /// <summary>The signaling-message handler of perfect negotiation.</summary>
    public void Deliver(NegotiatingPeer other)
    {
        if (Inbox.Count == 0) return;
        var description = Inbox.Dequeue();
        if (description.Type == SdpType.Offer)
        {
            var collision = State.Signaling != SignalingState.Stable;
            if (collision && !Polite) return; // the impolite peer ignores the colliding offer
            if (collision && !Ok(Run(new Input.SetLocalDescription(SessionDescription.Rollback()))))
            { Violations.Add($"{Name}: rollback refused in {State.Signaling}"); return; }
            if (!Ok(Run(new Input.SetRemoteDescription(description)))) { Violations.Add($"{Name}: remote offer refused: {_lastError}"); return; }
            var answer = Completed(Run(new Input.CreateAnswer()));
            if (answer is null || !Ok(Run(new Input.SetLocalDescription(answer)))) { Violations.Add($"{Name}: could not answer: {_lastError}"); return; }
            Trace.Add($"{Name} answers {Summary(answer)}");
            other.Inbox.Enqueue(answer);
        }
        else if (State.Signaling == SignalingState.HaveLocalOffer)
        {
            if (!Ok(Run(new Input.SetRemoteDescription(description)))) Violations.Add($"{Name}: remote answer refused: {_lastError}");
        }
        else Violations.Add($"{Name}: an answer arrived in {State.Signaling}");
    }
}

/// <summary>The two peers and their signaling channel: the "actual" system of the model-based test.</summary>
public sealed class Negotiation
{
    public NegotiatingPeer Impolite { get; } = new("impolite", false, 11, "sha-256 " + string.Join(':', Enumerable.Repeat("AA", 32)));
    public NegotiatingPeer Polite { get; } = new("polite", true, 22, "sha-256 " + string.Join(':', Enumerable.Repeat("BB", 32)));
    public NegotiatingPeer Peer(bool polite) => polite ? Polite : Impolite;
    public NegotiatingPeer Other(bool polite) => polite ? Impolite : Polite;
    public IEnumerable<string> Violations => Impolite.Violations.Concat(Polite.Violations);

    /// <summary>Runs handlers and deliveries until nothing is left to do (bounded).</summary>
    public bool Settle(int rounds = 40)
    {
        for (var i = 0; i < rounds; i++)
        {
            var busy = Impolite.NegotiationNeededEvent || Polite.NegotiationNeededEvent || Impolite.Inbox.Count > 0 || Polite.Inbox.Count > 0;
            if (!busy) return true;
            Impolite.HandleNegotiationNeeded(Polite);
            Polite.HandleNegotiationNeeded(Impolite);
            Polite.Deliver(Impolite);
            Impolite.Deliver(Polite);
        }
        return false;
    }
}

/// <summary>The model: what has been asked of each peer, enough to generate sensible next operations.</summary>
public sealed record NegotiationModel(int TransceiversImpolite, int TransceiversPolite, int Operations)
{
    public int Transceivers(bool polite) => polite ? TransceiversPolite : TransceiversImpolite;
}

public sealed class NegotiationMachine : Machine<Negotiation, NegotiationModel>
{
    public NegotiationMachine() : base(40) { }

    private sealed class Start : Setup<Negotiation, NegotiationModel>
    {
        public override Negotiation Actual() => new();
        public override NegotiationModel Model() => new(0, 0, 0);
    }

    public override Arbitrary<Setup<Negotiation, NegotiationModel>> Setup =>
        Gen.Constant<Setup<Negotiation, NegotiationModel>>(new Start()).ToArbitrary();

    /// <summary>Every operation checks the invariants gathered so far; Settle also checks the end state.</summary>
    private abstract class Op(string text) : Operation<Negotiation, NegotiationModel>
    {
        protected abstract void Act(Negotiation n);
        public override Property Check(Negotiation n, NegotiationModel m)
        {
            Act(n);
            var violations = n.Violations.ToList();
            return (violations.Count == 0).Label(string.Join("; ", violations));
        }
        public override NegotiationModel Run(NegotiationModel m) => m with { Operations = m.Operations + 1 };
        public override string ToString() => text;
    }

    private sealed class Call(bool polite, Input input) : Op($"{(polite ? "polite" : "impolite")}.{input}")
    {
        protected override void Act(Negotiation n) => n.Peer(polite).Run(input);
        public override NegotiationModel Run(NegotiationModel m) => input switch
        {
            Input.AddTransceiver or Input.AddTrack when polite => m with { TransceiversPolite = m.TransceiversPolite + 1 },
            Input.AddTransceiver or Input.AddTrack => m with { TransceiversImpolite = m.TransceiversImpolite + 1 },
            _ => m,
        };
    }

    private sealed class HandleEvent(bool polite) : Op($"{(polite ? "polite" : "impolite")}.onnegotiationneeded")
    {
        protected override void Act(Negotiation n) => n.Peer(polite).HandleNegotiationNeeded(n.Other(polite));
    }

    private sealed class Deliver(bool polite) : Op($"deliver to {(polite ? "polite" : "impolite")}")
    {
        protected override void Act(Negotiation n) => n.Peer(polite).Deliver(n.Other(polite));
    }

    /// <summary>Lets the signaling run to quiescence and checks both sides agree on what was negotiated.</summary>
    private sealed class Settle() : Op("settle")
    {
        protected override void Act(Negotiation n)
        {
            var a = n.Impolite;
            var b = n.Polite;
            if (!n.Settle()) { a.Violations.Add("negotiation did not settle in 40 rounds"); return; }
            if (a.State.Signaling != SignalingState.Stable || b.State.Signaling != SignalingState.Stable)
            { a.Violations.Add($"not stable after settling: {a.State.Signaling}/{b.State.Signaling}"); return; }
            if (PeerMachine.IsNegotiationNeeded(a.State) || PeerMachine.IsNegotiationNeeded(b.State))
            { a.Violations.Add("negotiation still needed after settling"); return; }
            if (a.State.CurrentLocal.IsNone && b.State.CurrentLocal.IsNone) return; // nothing to negotiate yet
            if (a.State.CurrentLocal != b.State.CurrentRemote || a.State.CurrentRemote != b.State.CurrentLocal)
            { a.Violations.Add("the peers' current descriptions differ"); return; }
            var local = Parse(a.State.CurrentLocal);
            var remote = Parse(a.State.CurrentRemote);
            if (!local.Media.Map(Jsep.Mid).SequenceEqual(remote.Media.Map(Jsep.Mid))) a.Violations.Add("mids differ");
            foreach (var (l, r) in local.Media.Zip(remote.Media))
            {
                if (l.Media != r.Media) a.Violations.Add($"m-line kinds differ: {l.Media} vs {r.Media}");
                if (l.Port == 0 || r.Port == 0 || Jsep.IsData(l)) continue;
                var kind = Jsep.KindOf(l);
                var lc = Jsep.Codecs(l, kind).Map(c => (c.PayloadType, c.Name.ToLowerInvariant(), c.ClockRate)).ToHashSet();
                var rc = Jsep.Codecs(r, kind).Map(c => (c.PayloadType, c.Name.ToLowerInvariant(), c.ClockRate)).ToHashSet();
                var (offer, answer) = a.State.CurrentLocal.Exists(d => d.Type == SdpType.Offer) ? (lc, rc) : (rc, lc);
                if (!answer.IsSubsetOf(offer) || answer.Count == 0) a.Violations.Add($"codecs of mid {Jsep.Mid(l)} do not match");
            }
            // Every live transceiver is negotiated on both sides under the same mid.
            foreach (var t in a.State.Transceivers.Filter(t => !t.Stopped))
                if (t.Mid.IsNone || !local.Media.Exists(m => Jsep.Mid(m) == t.Mid && m.Port != 0))
                    a.Violations.Add($"impolite transceiver {t.Index} is not negotiated");
        }

        private static SdpDescription Parse(Option<SessionDescription> d) =>
            d.Bind(x => x.TryUnmarshal().ToOption()).IfNone(() => new SdpDescription());
    }

    private static readonly Input[] BadCalls =
    [
        new Input.CreateAnswer(),
        new Input.SetRemoteDescription(SessionDescription.Answer("v=0\r\n")),
        new Input.SetLocalDescription(new SessionDescription(SdpType.Pranswer, "")),
        new Input.SetRemoteDescription(SessionDescription.Offer("not sdp")),
        new Input.SetRemoteDescription(new SessionDescription(SdpType.Unknown, "")),
        new Input.SetDirection(99, Direction.SendOnly),
        new Input.StopTransceiver(42),
    ];

    public override Gen<Operation<Negotiation, NegotiationModel>> Next(NegotiationModel m)
    {
        var side = Gen.Elements(true, false);
        var kind = Gen.Elements(MediaKind.Audio, MediaKind.Video);
        var direction = Gen.Elements(Direction.SendRecv, Direction.SendOnly, Direction.RecvOnly, Direction.Inactive);
        Gen<Operation<Negotiation, NegotiationModel>> Of(Gen<Op> g) => g.Select(o => (Operation<Negotiation, NegotiationModel>)o);
        var add = from p in side from k in kind from d in direction select (Op)new Call(p, new Input.AddTransceiver(k, d));
        var track = from p in side from k in kind from i in Gen.Choose(0, 3) select (Op)new Call(p, new Input.AddTrack($"t{m.Operations}-{i}", "s", k));
        var channel = from p in side select (Op)new Call(p, new Input.CreateDataChannel("dc"));
        var change = from p in side from i in Gen.Choose(0, 3) from d in direction select (Op)new Call(p, new Input.SetDirection(i, d));
        var stop = from p in side from i in Gen.Choose(0, 3) select (Op)new Call(p, new Input.StopTransceiver(i));
        var remove = from p in side from i in Gen.Choose(0, 3) select (Op)new Call(p, new Input.RemoveTrack(i));
        var bad = from p in side from b in Gen.Elements(BadCalls) select (Op)new Call(p, b);
        var handle = from p in side select (Op)new HandleEvent(p);
        var deliver = from p in side select (Op)new Deliver(p);
        var settle = Gen.Constant((Op)new Settle());
        return Of(Gen.Frequency(
            (4, add), (2, track), (2, channel), (2, change), (1, stop), (1, remove), (2, bad),
            (6, handle), (6, deliver), (3, settle)));
    }
}
