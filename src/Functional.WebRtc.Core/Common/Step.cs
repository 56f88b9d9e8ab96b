using LanguageExt;

namespace Functional.WebRtc.Core;

/// <summary>
/// The result of one step of a protocol machine: the new state and what the shell must do.
/// Every reducer in the core has the shape <c>(state, input) -> Step&lt;state, output&gt;</c>.
/// </summary>
public readonly record struct Step<TState, TOutput>(TState State, Seq<TOutput> Outputs)
{
    public static Step<TState, TOutput> Of(TState state) => new(state, LanguageExt.Seq<TOutput>.Empty);
    public static Step<TState, TOutput> Of(TState state, params TOutput[] outputs) => new(state, outputs.ToSeq());

    /// <summary>Maps the outputs into a parent's output type (a parent reducer lifts its child's outputs).</summary>
    public Step<TParent, TParentOutput> Lift<TParent, TParentOutput>(Func<TState, TParent> state, Func<TOutput, TParentOutput> output) =>
        new(state(State), Outputs.Map(output));
}
