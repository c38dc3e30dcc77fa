grammar Dlm;
file : EOF ;
