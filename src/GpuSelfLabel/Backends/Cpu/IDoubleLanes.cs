namespace GpuSelfLabel.Backends.Cpu;

/// <summary>
/// The operations on a SIMD vector of float64 lanes that the Self-Classifier row loops,
/// <see cref="DoubleExp"/> and <see cref="DoubleLog"/> need, as static members of a stateless struct (like TensorPrimitives' operator structs), so that each is written once for every
/// vector width: <see cref="VectorLanes"/> for Vector&lt;double&gt; and <see cref="Vector512Lanes"/>
/// for the 512-bit vectors that Vector&lt;T&gt; never becomes on AVX-512 hardware. Code generic over
/// a struct type parameter is compiled once per struct, with each member inlined to the instruction
/// it wraps. The vectors stay the runtime's types (whose generic-math operator interfaces the
/// reference assemblies do not expose, hence Add … Divide): a struct wrapping one, with operators,
/// costs two inlined calls per operation (operator and constructor), so many that they exhaust the
/// JIT's inlining budget of a row loop, which then calls what it should inline.
/// </summary>
/// <typeparam name="TVector">The vector type.</typeparam>
internal interface IDoubleLanes<TVector>
    where TVector : unmanaged
{
    /// <summary>Gets the number of float64 lanes.</summary>
    static abstract int Count { get; }

    static abstract TVector Add(TVector left, TVector right);

    static abstract TVector Subtract(TVector left, TVector right);

    static abstract TVector Multiply(TVector left, TVector right);

    static abstract TVector Divide(TVector left, TVector right);

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TVector Create(double value);

    /// <summary>Lane <paramref name="index"/> of <paramref name="vector"/>.</summary>
    static abstract double Element(TVector vector, int index);

    /// <summary>Count doubles from <paramref name="source"/> + <paramref name="offset"/>.</summary>
    static abstract TVector Load(ref double source, nuint offset);

    /// <summary>Writes the lanes at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    static abstract void Store(TVector vector, ref double destination, nuint offset);

    /// <summary>2·Count floats from <paramref name="source"/> + <paramref name="offset"/>, widened to float64: the lower and the upper Count.</summary>
    static abstract (TVector Lower, TVector Upper) LoadWidened(ref float source, nuint offset);

    /// <summary>Writes <paramref name="lower"/> then <paramref name="upper"/>, rounded to float32, at <paramref name="destination"/> + <paramref name="offset"/>.</summary>
    static abstract void StoreNarrowed(TVector lower, TVector upper, ref float destination, nuint offset);

    /// <summary>left·right + addend with one rounding.</summary>
    static abstract TVector FusedMultiplyAdd(TVector left, TVector right, TVector addend);

    /// <summary>The lanewise minimum as the hardware computes it (the lanes are never NaN here).</summary>
    static abstract TVector MinNative(TVector left, TVector right);

    /// <summary>The lanewise maximum as the hardware computes it.</summary>
    static abstract TVector MaxNative(TVector left, TVector right);

    /// <summary>Σ of the lanes, in the order the vector type's Sum adds them.</summary>
    static abstract double Sum(TVector vector);

    /// <summary>Bits of <paramref name="left"/> where <paramref name="mask"/>'s are set, else of <paramref name="right"/>.</summary>
    static abstract TVector ConditionalSelect(TVector mask, TVector left, TVector right);

    /// <summary>The lanes' bits read as 64-bit integers, plus <paramref name="addend"/>.</summary>
    static abstract TVector IntegerAdd(TVector vector, long addend);

    /// <summary>The lanes' bits read as 64-bit integers, <paramref name="left"/> − <paramref name="right"/>.</summary>
    static abstract TVector IntegerSubtract(TVector left, TVector right);

    /// <summary>The lanes' bits read as 64-bit integers, shifted left.</summary>
    static abstract TVector IntegerShiftLeft(TVector vector, int shift);

    /// <summary>The lanes' bits read as 64-bit integers, shifted right with the sign.</summary>
    static abstract TVector IntegerShiftRightArithmetic(TVector vector, int shift);

    /// <summary>All bits set in the lanes whose bits, read as a 64-bit integer, are above zero; none elsewhere.</summary>
    static abstract TVector IntegerIsPositive(TVector vector);
}
