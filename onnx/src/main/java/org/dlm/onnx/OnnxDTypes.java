package org.dlm.onnx;

import org.dlm.ir.DType;

/** ONNX {@code TensorProto.DataType} codes and their DLM dtypes. */
public final class OnnxDTypes {
    private OnnxDTypes() {}

    private static final String[] NAMES = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
        "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};

    /** The DLM dtype of ONNX code {@code code}, or null when DLM has none. */
    public static DType toDType(int code) {
        return switch (code) {
            case 1 -> DType.F32;
            case 2 -> DType.U8;
            case 3 -> DType.I8;
            case 6 -> DType.I32;
            case 7 -> DType.I64;
            case 9 -> DType.BOOL;
            case 10 -> DType.F16;
            case 11 -> DType.F64;
            case 16 -> DType.BF16;
            default -> null;
        };
    }

    /** The DLM dtype of ONNX code {@code code}; throws UNSUPPORTED naming the ONNX type otherwise. */
    public static DType require(int code, String where) {
        DType d = toDType(code);
        if (d == null) throw OnnxException.unsupported("dtype", name(code) + " (" + where + "): DLM supports float, double, float16, bfloat16, int8, uint8, int32, int64 and bool");
        return d;
    }

    public static int toOnnx(DType d) {
        return switch (d) {
            case F32 -> 1; case U8 -> 2; case I8 -> 3; case I32 -> 6; case I64 -> 7; case BOOL -> 9;
            case F16 -> 10; case F64 -> 11; case BF16 -> 16;
        };
    }

    /** The ONNX name of a type code ("FLOAT", "STRING", ...). */
    public static String name(int code) {
        return code >= 0 && code < NAMES.length ? NAMES[code] : "type code " + code;
    }
}
