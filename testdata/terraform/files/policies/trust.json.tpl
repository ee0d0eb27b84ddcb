{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "AWS": [
%{ for i, a in accounts ~}
          "arn:aws:iam::${a}:root"%{ if i < length(accounts) - 1 },%{ endif }
%{ endfor ~}
        ]
      }
    }
  ]
}
