package org.dlm.ir;

/** The type of a value: element type and shape. Prints as {@code f32[B, 1, 28, 28]}. */
public record TensorType(DType dtype, Shape shape) {
    public static TensorType of(DType dtype, long... sizes) { return new TensorType(dtype, Shape.of(sizes)); }
    public static TensorType of(DType dtype, Dim... dims) { return new TensorType(dtype, Shape.of(dims)); }
    public int rank() { return shape.rank(); }
    public TensorType withShape(Shape s) { return new TensorType(dtype, s); }
    public TensorType withDType(DType d) { return new TensorType(d, shape); }
    @Override public String toString() { return dtype.text() + shape; }
}
